"""From a question to an answer, and the front ends that carry it: console, JSON and Telegram."""
