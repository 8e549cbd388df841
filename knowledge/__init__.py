"""Reading township rule-of-law reports into a SQLite knowledge base. Knows nothing of chat."""
