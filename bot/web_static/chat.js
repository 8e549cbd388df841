/* The chat page. Everything shown is placed with textContent (never as HTML), so a question or an answer
   can never run as code. Addresses are relative, so the page works under any sub-path (/bot/).
   ES5 syntax (a test parses it so) and long-standing DOM APIs (fetch, Promise, classList), for the in-app browsers
   of WeCom and WeChat on older phones: no arrow functions, no let/const, no modules. */
(function () {
  "use strict";

  var state = { conversation: null, user: null, admin: false, open: false, busy: false };
  var $ = function (id) { return document.getElementById(id); };
  var messages = $("messages"), chips = $("chips"), question = $("question");

  // -- talking to the server -------------------------------------------------------------------

  function call(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && path !== "api/signin") { showSignIn(); }
        if (!response.ok) {
          var error = new Error(data.message || ("出错了（HTTP " + response.status + "）"));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    }, function () {
      throw new Error("连不上服务器，请检查网络后再试。");
    });
  }

  function newConversation() {
    return call("POST", "api/conversation", { previous: state.conversation }).then(function (data) {
      state.conversation = data.conversation;
    });
  }

  // -- showing messages ------------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  function showUser(text) {
    messages.appendChild(element("div", "msg user", text));
    scrollDown();
  }

  function showTyping() {
    var bubble = element("div", "msg bot typing", "…");
    messages.appendChild(bubble);
    scrollDown();
    return bubble;
  }

  function showError(message, replacing) {
    var bubble = element("div", "msg bot error", message);
    if (replacing) { messages.replaceChild(bubble, replacing); } else { messages.appendChild(bubble); }
    scrollDown();
  }

  // An answer: its first line bold, more lines, quotes with their sources, notes, "which township?" buttons.
  function showAnswer(answer, replacing) {
    var bubble = element("div", "msg bot" + (answer.answered ? "" : " refused"));
    bubble.appendChild(element("span", "headline", answer.headline));
    (answer.lines || []).forEach(function (line) { bubble.appendChild(element("span", "line", line)); });
    (answer.quotes || []).forEach(function (quote) {
      bubble.appendChild(element("blockquote", "quote", quote.text));
      bubble.appendChild(element("span", "source", "—— " + quote.source));
    });
    (answer.notes || []).forEach(function (note) { bubble.appendChild(element("span", "note", note)); });
    if (answer.choices && answer.choices.length) {
      var buttons = element("div", "buttons");
      answer.choices.forEach(function (choice) {
        var button = element("button", "choice", choice.label);
        button.type = "button";
        button.addEventListener("click", function () {
          Array.prototype.forEach.call(buttons.children, function (other) { other.disabled = true; });
          button.classList.add("chosen");
          send({ question: answer.question, township: choice.township }, choice.label);
        });
        buttons.appendChild(button);
      });
      bubble.appendChild(buttons);
    }
    if (replacing) { messages.replaceChild(bubble, replacing); } else { messages.appendChild(bubble); }
    scrollDown();
    showChips(answer.suggestions || []);
  }

  // Tap-to-ask chips: a chip asks its question, or opens a township's card.
  function showChips(list) {
    chips.textContent = "";
    list.forEach(function (chip) {
      var button = element("button", "chip", chip.label);
      button.type = "button";
      button.addEventListener("click", function () {
        if (chip.town) { townCard(chip.town, chip.label); } else { ask(chip.ask); }
      });
      chips.appendChild(button);
    });
    chips.scrollLeft = 0;
  }

  function lines(list, replacing) {
    showAnswer({ answered: true, headline: list[0] || "", lines: list.slice(1) }, replacing);
  }

  // -- asking ----------------------------------------------------------------------------------

  // Run request() with a "typing" bubble standing in for its answer; one at a time.
  function exchange(request) {
    if (state.busy) { return Promise.resolve(); }
    state.busy = true;
    $("send").disabled = true;
    var typing = showTyping();
    return Promise.resolve(state.conversation || newConversation()).then(request).then(function (answer) {
      showAnswer(answer, typing);
    }, function (error) {
      showError(error.message, typing);
    }).then(function () {
      state.busy = false;
      $("send").disabled = false;
    });
  }

  function send(body, shown) {
    showUser(shown);
    return exchange(function () {
      body.conversation = state.conversation;
      return call("POST", "api/chat", body);
    });
  }

  function townCard(name, shown) {
    showUser(shown || ("/town " + name));
    return exchange(function () {
      return call("GET", "api/town?name=" + encodeURIComponent(name) +
                  "&conversation=" + encodeURIComponent(state.conversation));
    });
  }

  function townList() {
    showUser("/towns");
    return exchange(function () { return call("GET", "api/towns"); });
  }

  function help() {
    showUser("/help");
    return exchange(function () { return call("GET", "api/help"); });
  }

  // What the composer sends: a question, or one of the Telegram commands (/town 名字, /towns, /help, /new).
  function ask(text) {
    text = (text || "").trim();
    if (!text || state.busy) { return; }
    var command = /^\/(\w+)(?:@\S+)?\s*([\s\S]*)$/.exec(text);
    if (command && command[1] === "town" && command[2]) { return townCard(command[2].trim(), text); }
    if (command && (command[1] === "towns" || command[1] === "town")) { return townList(); }
    if (command && (command[1] === "help" || command[1] === "start")) { return help(); }
    if (command && command[1] === "new") { return restart(); }
    if (command && command[1] === "q") { text = command[2].trim() || text; }
    return send({ question: text }, text);
  }

  function restart() {
    messages.textContent = "";
    showChips([]);
    return newConversation().then(greet, function (error) { showError(error.message); });
  }

  function greet() {
    return call("GET", "api/help").then(function (answer) {
      answer.headline = "您好！" + answer.headline;
      showAnswer(answer);
    }, function (error) { showError(error.message); });
  }

  // -- uploads (admins) ------------------------------------------------------------------------

  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name);
    showUser("📄 " + file.name);
    var typing = showTyping();
    call("POST", "api/upload", form).then(function (result) {
      lines(result.lines, typing);
      if (result.confirm) { askToReplace(result.confirm); }
    }, function (error) { showError(error.message, typing); });
  }

  function askToReplace(confirm) {
    var bubble = messages.lastChild, buttons = element("div", "buttons");
    [[confirm.label, true], ["取消", false]].forEach(function (option) {
      var button = element("button", "choice", option[0]);
      button.type = "button";
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(buttons.children, function (other) { other.disabled = true; });
        button.classList.add("chosen");
        var typing = showTyping();
        call("POST", "api/upload/confirm", { token: confirm.token, replace: option[1] }).then(function (result) {
          lines(result.lines, typing);
        }, function (error) { showError(error.message, typing); });
      });
      buttons.appendChild(button);
    });
    bubble.appendChild(buttons);
  }

  function undo() {
    var typing = showTyping();
    call("POST", "api/upload/undo").then(function (result) { lines(result.lines, typing); },
                                          function (error) { showError(error.message, typing); });
  }

  // -- signing in ------------------------------------------------------------------------------

  function showSignIn() {
    $("signin").hidden = false;
    $("messages").hidden = true;
    $("bottom").hidden = true;
    $("actions").hidden = true;
    $("name").focus();
  }

  function showChat() {
    $("signin").hidden = true;
    $("messages").hidden = false;
    $("bottom").hidden = false;
    $("actions").hidden = false;
    $("who").textContent = state.user ? state.user + (state.admin ? "（管理员）" : "") : "";
    Array.prototype.forEach.call(document.querySelectorAll(".admin"), function (node) { node.hidden = !state.admin; });
    $("signin-open").hidden = !(state.open && !state.user);
    $("signout").hidden = !state.user;
  }

  function signIn(event) {
    event.preventDefault();
    var submit = $("signin-submit");
    submit.disabled = true;
    $("signin-error").textContent = "";
    call("POST", "api/signin", { name: $("name").value, code: $("code").value }).then(function (data) {
      state.user = data.user;
      state.admin = data.admin;
      $("code").value = "";
      showChat();
      if (!messages.children.length) { greet(); }
    }, function (error) {
      $("signin-error").textContent = error.message;
    }).then(function () { submit.disabled = false; });
  }

  function signOut() {
    call("POST", "api/signout").then(function () {
      state.user = null;
      state.admin = false;
      messages.textContent = "";
      if (state.open) { showChat(); restart(); } else { showSignIn(); }
    });
  }

  // -- wiring ----------------------------------------------------------------------------------

  function closeMenu() {
    $("menu-items").hidden = true;
    $("menu").setAttribute("aria-expanded", "false");
  }

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = question.value;
    question.value = "";
    question.style.height = "";
    ask(text);
  });
  question.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {  // Enter sends; an IME's Enter does not
      event.preventDefault();
      $("composer").dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  question.addEventListener("input", function () {
    question.style.height = "";
    question.style.height = Math.min(question.scrollHeight + 2, 120) + "px";
  });
  $("signin-form").addEventListener("submit", signIn);
  $("towns").addEventListener("click", function () { townList(); });
  $("new").addEventListener("click", function () { restart(); });
  $("menu").addEventListener("click", function () {
    var items = $("menu-items");
    items.hidden = !items.hidden;
    $("menu").setAttribute("aria-expanded", String(!items.hidden));
  });
  $("help").addEventListener("click", function () { closeMenu(); help(); });
  $("upload").addEventListener("click", function () { closeMenu(); $("file").click(); });
  $("undo").addEventListener("click", function () { closeMenu(); undo(); });
  $("signin-open").addEventListener("click", function () { closeMenu(); showSignIn(); });
  $("signout").addEventListener("click", function () { closeMenu(); signOut(); });
  $("file").addEventListener("change", function () {
    var file = $("file").files[0];
    $("file").value = "";
    if (file) { upload(file); }
  });
  document.addEventListener("click", function (event) {
    if (!$("menu-items").hidden && !$("menu-items").contains(event.target) && event.target !== $("menu")) { closeMenu(); }
  });

  call("GET", "api/me").then(function (data) {
    state.user = data.user;
    state.admin = data.admin;
    state.open = data.open;
    if (!data.user && !data.open) { showSignIn(); return; }
    showChat();
    return restart();
  }, function (error) {
    showChat();
    showError(error.message);
  });
}());
