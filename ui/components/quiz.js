// Predict, then reveal, in the browser: picking an answer and Reveal need no server round
// trip. Only "New question" asks the server, which draws new numbers (setTriggerValue).
//
// data: {name, intro, label, showAll, projector, digest, questions: [{name, title, id, prompt,
// note, choices, answer, why, renew}]}. A prediction is final: the first pick (or Reveal)
// locks the choices, so "Right" means right the first time; New question starts afresh. intro, prompt, note and why are HTML the server rendered from the
// library's own markdown (no user text, raw HTML escaped); choices and answer are plain text
// and are only ever set as textContent.

const PICKS = new Map(); // question id -> {pick, revealed}: kept across reruns and pages
const CHOSEN = new Map(); // quiz name -> the tab last opened
const VIEWS = new WeakMap(); // parentElement -> the live quiz

function remembered(id) {
  if (!PICKS.has(id)) PICKS.set(id, { pick: null, revealed: false });
  if (PICKS.size > 200) PICKS.delete(PICKS.keys().next().value); // keep the tab small
  return PICKS.get(id);
}

function html(className, markup) {
  const node = el("div", className);
  node.innerHTML = markup; // the server's rendering of the library's text (see above)
  return node;
}

function strong(text) {
  const node = el("strong");
  node.textContent = text;
  return node;
}

class Quiz {
  constructor(root, setTriggerValue) {
    this.root = root;
    this.send = setTriggerValue;
    this.panels = new Map(); // question name -> its panel's parts
    this.refocus = null; // the question whose New question was pressed: focus returns there
  }

  update(data) {
    this.data = data;
    this.root.replaceChildren();
    this.panels.clear();
    if (data.intro) this.root.append(html("qz-intro", data.intro));
    const many = data.questions.length > 1;
    const bar = el("div", "qz-tabs");
    bar.setAttribute("role", "tablist");
    if (many) this.root.append(bar);
    const chosen = CHOSEN.get(data.name);
    const open = data.questions.some((q) => q.name === chosen) ? chosen : data.questions[0].name;
    data.questions.forEach((q, i) => {
      const panel = this.panel(q, i);
      if (many) {
        const tab = el("button", "qz-tab", q.title);
        tab.type = "button";
        tab.id = `${panel.node.id}-tab`;
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-controls", panel.node.id);
        tab.dataset.name = q.name;
        tab.addEventListener("click", () => this.open(q.name, true));
        tab.addEventListener("keydown", (event) => this.arrow(event, i));
        panel.node.setAttribute("role", "tabpanel");
        panel.node.setAttribute("aria-labelledby", tab.id);
        panel.tab = tab;
        bar.append(tab);
      }
      this.root.append(panel.node);
      this.panels.set(q.name, panel);
      this.show(q.name);
    });
    this.open(open, false);
    const pressed = this.refocus && this.panels.get(this.refocus);
    this.refocus = null;
    if (pressed) (pressed.tab || pressed.choices[0] || pressed.node).focus();
  }

  arrow(event, i) {
    const names = [...this.panels.keys()];
    const last = names.length - 1;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.open(names[(to + names.length) % names.length], true);
  }

  open(name, focus) {
    CHOSEN.set(this.data.name, name);
    for (const [other, panel] of this.panels) {
      const here = other === name;
      panel.node.hidden = !here;
      if (!panel.tab) continue;
      panel.tab.setAttribute("aria-selected", String(here));
      panel.tab.tabIndex = here ? 0 : -1;
      if (here && focus) panel.tab.focus();
    }
  }

  panel(q, i) {
    const node = el("div", "qz-panel");
    node.id = `qz-${this.data.digest.slice(0, 8)}-${i}`;
    node.dataset.name = q.name;
    node.append(html("qz-prompt", q.prompt));
    if (q.note) node.append(html("qz-note", q.note));
    const group = el("div", "qz-choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", `${node.id}-legend`);
    const legend = el("div", "qz-legend", "Your prediction (your first pick counts):");
    legend.id = `${node.id}-legend`;
    const state = remembered(q.id);
    const choices = q.choices.map((choice) => {
      const button = el("button", "cv-button qz-choice", choice);
      button.type = "button";
      button.addEventListener("click", () => {
        if (state.pick !== null || state.revealed) return; // a prediction is final
        state.pick = choice;
        this.show(q.name);
      });
      group.append(button);
      return button;
    });
    const buttons = el("div", "qz-buttons");
    if (q.renew) {
      const fresh = el("button", "cv-button qz-new", "New question");
      fresh.type = "button";
      fresh.addEventListener("click", () => {
        fresh.disabled = true; // until the server's new numbers arrive
        fresh.textContent = "Drawing new numbers…";
        this.refocus = q.name;
        this.send("new", q.name);
      });
      buttons.append(fresh);
    }
    const reveal = el("button", "cv-button qz-reveal", "Reveal the answer");
    reveal.type = "button";
    reveal.addEventListener("click", () => {
      state.revealed = true;
      this.show(q.name);
    });
    buttons.append(reveal);
    const verdict = el("div", "qz-verdict");
    verdict.setAttribute("aria-live", "polite");
    const why = html("qz-why", q.why);
    node.append(legend, group, buttons, verdict, why);
    return { node, q, state, choices, reveal, verdict, why };
  }

  // What the student sees under the buttons: the verdict on their pick, the answer once they
  // asked for it (or the teacher shows every answer), else a nudge to predict first.
  show(name) {
    const { q, state, choices, reveal, verdict, why } = this.panels.get(name);
    verdict.replaceChildren();
    let kind = "qz-wait";
    if (state.pick !== null && state.pick === q.answer) {
      kind = "qz-right";
      verdict.append("Right: ", strong(q.answer), ".");
    } else if (state.pick !== null) {
      kind = "qz-wrong";
      verdict.append(`Not quite: you chose ${state.pick}. The answer is `, strong(q.answer), ".");
    } else if (state.revealed || this.data.showAll) {
      kind = "qz-shown";
      verdict.append("The answer is ", strong(q.answer), ".");
    } else {
      verdict.append("Predict first: pick an answer, then the answer and the explanation appear.");
    }
    verdict.className = `qz-verdict ${kind}`;
    why.hidden = kind === "qz-wait";
    const settled = kind !== "qz-wait"; // the answer is out: nothing left to predict
    choices.forEach((button, i) => {
      const choice = q.choices[i];
      button.disabled = settled;
      button.setAttribute("aria-pressed", String(choice === state.pick));
      button.classList.toggle("qz-is-answer", settled && choice === q.answer);
    });
    reveal.disabled = settled;
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let quiz = VIEWS.get(parentElement);
  if (!quiz) {
    const root = el("div", "qz-root");
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", data.label);
    // Append, never replace: the parent also holds the <style> Streamlit put there.
    parentElement.querySelectorAll(".qz-root").forEach((old) => old.remove());
    parentElement.append(root);
    quiz = new Quiz(root, setTriggerValue);
    VIEWS.set(parentElement, quiz);
  }
  quiz.send = setTriggerValue;
  if (quiz.digest !== data.digest) {
    quiz.digest = data.digest; // a rerun that changes nothing keeps the picks on screen
    quiz.update(data);
  }
  quiz.root.classList.toggle("qz-projector", Boolean(data.projector));
}
