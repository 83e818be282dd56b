// The kiosk page: sends questions to the local server and shows the replies.
// Nothing is stored in the browser (no cookies, no localStorage); "Start over" and the idle timer clear the screen.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const view = {
    main: $("main"), welcome: $("welcome"), examples: $("examples"), conversation: $("conversation"),
    form: $("ask"), input: $("question"), send: $("send"), startOver: $("start-over"), browse: $("browse"),
    status: $("status"), crisisLine: $("crisis-line"), helpNow: $("help-now"), topics: $("topics"),
    idle: $("idle"), idleSeconds: $("idle-seconds"), stillHere: $("still-here"),
  };
  const idleSeconds = Number(document.body.dataset.idleTimeout);  // the server fills it from the Bot
  // Warn for the last quarter of the timeout, at most 20 s, so a short timeout still gets a warning.
  const warnSeconds = Math.min(20, idleSeconds / 4);
  // The region's help numbers ("988|911|1-800-222-1222"): shown large, as tap-to-call links.
  const phones = (document.body.dataset.phones || "").split("|").filter(Boolean);
  const PHONE = phones.length
    ? new RegExp(`(?<![\\d-])(${phones.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?![\\d-])`, "g")
    : null;
  const motion = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  // Topic name -> its questions, from the page itself (the server renders them into a <template>).
  const topics = new Map([...view.topics.content.querySelectorAll(".topic")].map(
    (t) => [t.dataset.topic, [...t.querySelectorAll("[data-ask]")].map((b) => b.dataset.ask)]));

  let sessionId = null;
  let epoch = 0;               // bumped by every clear; replies from an earlier epoch are dropped unseen
  let busy = false;
  let lastActivity = Date.now();
  let lastTouch = 0;
  const TOUCH_EVERY_MS = 15000;
  let returnFocus = null;      // what had focus before the idle warning took it
  let cardId = 0;

  // -- talking to the server ------------------------------------------------------------------------------
  async function api(method, path, data) {
    const options = { method, cache: "no-store", credentials: "same-origin", headers: {} };
    if (data !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(data);
    }
    const response = await fetch(path, options);
    let json = null;
    try { json = await response.json(); } catch (_) { /* 204, or not JSON */ }
    return { status: response.status, json };
  }

  function endSession(id) {
    if (id) api("DELETE", `/api/sessions/${encodeURIComponent(id)}`).catch(() => {});
  }

  // Sends one message; a session that expired on the server is replaced once, quietly.
  async function send(text, mine) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (!sessionId) {
        const created = await api("POST", "/api/sessions");
        if (created.status !== 201) return created;
        if (mine !== epoch) { endSession(created.json.id); return null; }
        sessionId = created.json.id;
      }
      const id = sessionId;
      const result = await api("POST", `/api/sessions/${encodeURIComponent(id)}/messages`, { text });
      if (result.status !== 404) return result;
      if (sessionId === id) sessionId = null;
    }
    return { status: 404, json: null };
  }

  async function ask(raw) {
    const text = raw.trim();
    if (!text || busy) return;
    const mine = epoch;
    setBusy(true);
    const typed = view.input.value;
    view.input.value = "";
    const question = addUser(text);
    const pending = addPending();
    let result = null;
    try {
      result = await send(text, mine);
    } catch (_) {
      result = null;           // the server could not be reached
    }
    if (mine !== epoch) return;    // the screen was cleared meanwhile: this reply belongs to nobody now
    pending.remove();
    if (result && result.status === 200) {
      addReply(result.json);
    } else {
      // Nothing is lost: the question goes back in the box (unless something new was typed) and can be retried.
      if (!view.input.value) view.input.value = typed.trim() ? typed : text;
      addError(text, question, result);
    }
    // The question and the start of its answer together; long answers are read from the top.
    question.scrollIntoView({ block: "start", behavior: motion });
    setBusy(false);
  }

  function setBusy(on) {
    busy = on;
    view.send.disabled = on;
    view.main.setAttribute("aria-busy", on ? "true" : "false");
  }

  // -- drawing --------------------------------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Text with the help numbers as large tap-to-call links; built from text nodes only, never HTML.
  function withNumbers(node, text) {
    let last = 0;
    for (const match of PHONE ? text.matchAll(PHONE) : []) {
      const link = el("a", "num", match[0]);
      link.href = `tel:${match[0].replace(/\D/g, "")}`;
      node.append(text.slice(last, match.index), link);
      last = match.index + match[0].length;
    }
    node.append(text.slice(last));
    return node;
  }

  // Paragraphs split at blank lines; "- " and "1) " lines become lists. Urgent text keeps one sentence a line.
  // A list item that names a topic (the fallback's "You can ask me about:") is a button that opens it.
  function renderText(parent, text, urgent) {
    for (const block of text.split(/\n\s*\n/)) {
      let list = null;
      let words = [];
      const flush = () => {
        if (words.length) parent.append(withNumbers(el("p"), words.join(" ")));
        words = [];
      };
      for (const line of block.split("\n").map((l) => l.trim()).filter(Boolean)) {
        const item = line.match(/^(?:-|\d+\))\s+(.*)$/);
        if (item) {
          flush();
          if (!list) { list = el("ul"); parent.append(list); }
          const li = el("li");
          li.append(topics.has(item[1]) ? topicButton(item[1]) : item[1]);
          if (topics.has(item[1])) { list.classList.add("topic-list"); }
          list.append(li);
          continue;
        }
        list = null;
        words.push(line);
        if (urgent) flush();
      }
      flush();
    }
  }

  function choiceButton(question) {
    const button = el("button", "choice", question);
    button.type = "button";
    button.dataset.ask = question;
    return button;
  }

  function topicButton(name) {
    const button = el("button", "topic-link", name);
    button.type = "button";
    button.dataset.topic = name;
    return button;
  }

  function addUser(text) {
    const bubble = el("div", "msg-user");
    bubble.append(el("span", "visually-hidden", "You asked: "), text);
    view.conversation.append(bubble);
    return bubble;
  }

  function addPending() {
    const dots = el("div", "reply pending");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("span"), el("span"), el("span"));
    view.conversation.append(dots);
    dots.scrollIntoView({ block: "nearest" });
    return dots;
  }

  const HEADINGS = { emergency: "Get help now", crisis: "You are not alone", clinician: "Ask your clinician" };

  function addReply(reply) {
    const urgent = reply.escalation === "crisis" || reply.escalation === "emergency";
    const card = el("article", `reply kind-${reply.kind}${urgent ? " urgent" : ""}`);
    card.dataset.kind = reply.kind;
    if (reply.intent) card.dataset.intent = reply.intent;
    if (reply.escalation) card.dataset.escalation = reply.escalation;
    if (HEADINGS[reply.escalation]) card.append(el("h2", "label", HEADINGS[reply.escalation]));
    if (reply.notice) card.append(el("p", "notice", reply.notice));
    // A clarification's numbered options are shown as buttons instead of as a list.
    const body = reply.kind === "clarify" ? reply.body.split("\n").filter((l) => !/^\d+\)/.test(l.trim())).join("\n")
      : reply.body;
    if (reply.kind === "answer" && reply.short && reply.short !== reply.body) {
      // The one-line answer first; "Tell me more" shows the whole of it in place.
      card.append(withNumbers(el("p", "short"), reply.short));
      const full = el("div", "full");
      full.id = `full-${cardId += 1}`;
      full.hidden = true;
      full.tabIndex = -1;
      renderText(full, body, false);
      const more = el("button", "button secondary more", "Tell me more");
      more.type = "button";
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", full.id);
      more.addEventListener("click", () => {
        full.hidden = false;
        more.setAttribute("aria-expanded", "true");
        more.remove();
        full.focus({ preventScroll: true });
        activity();
      });
      card.append(more, full);
    } else {
      renderText(card, body, urgent);
    }
    if (reply.source_title) card.append(el("p", "source", `Source: ${reply.source_title}`));
    // The disclaimer goes with each answer, not under crisis and emergency replies (they carry none).
    if (reply.disclaimer) card.append(el("p", "disclaimer", reply.disclaimer));
    if (reply.resources) {
      const box = el("div", "resources");
      box.setAttribute("role", "note");
      renderText(box, reply.resources, true);
      card.append(box);
    }
    if (reply.suggestions && reply.suggestions.length) {
      card.append(el("h3", "choices-title", reply.kind === "clarify" ? "Please choose one:" : "You could also ask:"));
      const choices = el("div", "choices");
      choices.append(...reply.suggestions.map(choiceButton));
      card.append(choices);
    }
    if (urgent || reply.resources) setHelpNow(true);
    view.conversation.append(card);
  }

  // After a crisis or emergency reply, the bar at the top says so until the screen is cleared.
  function setHelpNow(on) {
    view.crisisLine.classList.toggle("alert", on);
    view.helpNow.hidden = !on;
  }

  function addError(text, question, result) {
    const card = el("div", "reply error");
    card.setAttribute("role", "alert");
    const reached = result && result.json && result.json.error;
    card.append(el("p", "", reached ? result.json.error
      : "Sorry, the kiosk could not reach its server. Your question is back in the box below."));
    const retry = el("button", "button primary retry", "Try again");
    retry.type = "button";
    retry.addEventListener("click", () => {
      card.remove();
      question.remove();
      if (view.input.value.trim() === text) view.input.value = "";
      ask(text);
    });
    card.append(retry);
    view.conversation.append(card);
  }

  // Topics: the list of topics, and a topic's questions, as cards in the conversation (nothing is sent).
  function addCard(title, fill) {
    const card = el("section", "reply browse");
    card.setAttribute("aria-label", title);
    card.append(el("h2", "label", title));
    fill(card);
    view.conversation.append(card);
    card.scrollIntoView({ block: "start", behavior: motion });
    return card;
  }

  function showTopics() {
    addCard("Topics", (card) => {
      card.append(el("p", "", "Tap a topic to see the questions I can answer about it."));
      const list = el("div", "choices");
      list.append(...[...topics.keys()].map((name) => {
        const button = topicButton(name);
        button.className = "choice";
        button.append(el("span", "count", ` (${topics.get(name).length})`));
        return button;
      }));
      card.append(list);
    });
  }

  function showTopic(name) {
    addCard(name, (card) => {
      const list = el("div", "choices");
      list.append(...topics.get(name).map(choiceButton));
      card.append(list);
    });
  }

  // -- clearing -------------------------------------------------------------------------------------------
  function clearScreen(message) {
    epoch += 1;
    endSession(sessionId);
    sessionId = null;
    setBusy(false);
    hideIdle();
    setHelpNow(false);
    view.conversation.replaceChildren();
    view.input.value = "";
    view.main.scrollTop = 0;
    view.main.focus({ preventScroll: true });
    view.status.textContent = message;
    lastActivity = Date.now();
  }

  function hasSomethingToClear() {
    return view.conversation.childElementCount > 0 || view.input.value !== "";
  }

  // -- idle timer -----------------------------------------------------------------------------------------
  function showIdle(secondsLeft) {
    view.idleSeconds.textContent = String(Math.max(1, Math.ceil(secondsLeft)));
    if (view.idle.hidden) {
      returnFocus = document.activeElement;
      view.idle.hidden = false;
      // The next person must not read the conversation over the warning: everything behind it is hidden.
      document.body.classList.add("idle-open");
      view.stillHere.focus();
    }
  }

  function hideIdle() {
    if (view.idle.hidden) return;
    view.idle.hidden = true;
    document.body.classList.remove("idle-open");
    // Back to where the patient was, without jumping to the question box (that would pop up a touch keyboard).
    if (view.idle.contains(document.activeElement) || document.activeElement === document.body) {
      const target = returnFocus && returnFocus.isConnected && returnFocus !== document.body ? returnFocus : view.main;
      target.focus({ preventScroll: true });
    }
  }

  function activity() {
    lastActivity = Date.now();
    hideIdle();
    // Reading and scrolling count as being there: tell the server now and then, so the
    // conversation is still there for a follow-up such as "and what about that?".
    if (sessionId && lastActivity - lastTouch > TOUCH_EVERY_MS) {
      lastTouch = lastActivity;
      api("POST", `/api/sessions/${encodeURIComponent(sessionId)}/touch`).catch(() => {});
    }
  }

  function tick() {
    if (!hasSomethingToClear()) return;
    const idle = (Date.now() - lastActivity) / 1000;
    if (idle >= idleSeconds) {
      clearScreen("The screen was cleared to keep your questions private.");
    } else if (idle >= idleSeconds - warnSeconds) {
      showIdle(idleSeconds - idle);
    }
  }

  // -- wiring ---------------------------------------------------------------------------------------------
  view.form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(view.input.value);
  });
  // One listener for every question and topic button, today's and future ones.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-ask], button[data-topic]");
    if (!button) return;
    if (button.dataset.ask) ask(button.dataset.ask);
    else showTopic(button.dataset.topic);
  });
  view.browse.addEventListener("click", showTopics);
  view.startOver.addEventListener("click", () => {
    clearScreen("Cleared. You can ask a new question.");
  });
  view.stillHere.addEventListener("click", activity);
  for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"]) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  // The tab may be hidden or asleep; clear as soon as it is seen again if the time is up.
  document.addEventListener("visibilitychange", tick);
  setInterval(tick, 250);
  // Nothing of a previous patient may come back with the browser's back/forward cache.
  window.addEventListener("pageshow", (event) => { if (event.persisted) clearScreen(""); });
})();
