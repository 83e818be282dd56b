"""`psychoed review`: the sign-off sheet, one printable HTML page for the person who signs the content.

For every intent: its question and examples, the answer (short and full), its source with the passages
the answer rests on quoted beside it, reading grade and word count, the review record and a sign-off box.
Then the medicine classes' texts and every escalation reply with each region's help lines. Everything is
in the page (no scripts, fonts or images from elsewhere), so it can be mailed, archived and printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path

from ..content import Answer, Content, Intent, load_content
from ..errors import ConfigError
from .documents import Documents, Passage, passages
from .lint import MAX_GRADE, MAX_WORDS, MIN_WORDS, grader

CSS = """
body { font: 15px/1.45 Georgia, 'Times New Roman', serif; color: #111; max-width: 62rem; margin: 2rem auto;
       padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #333; }
.meta, .small { color: #444; font-size: .85rem; }
section.item { border: 1px solid #999; border-radius: 4px; padding: .6rem .9rem; margin: 1rem 0;
               page-break-inside: avoid; break-inside: avoid; }
section.item h3 { margin: .1rem 0 .4rem; font-size: 1.1rem; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.label { font: bold .75rem/1.2 Arial, sans-serif; text-transform: uppercase; letter-spacing: .04em; color: #555; }
blockquote { margin: .3rem 0; padding: .3rem .6rem; border-left: 3px solid #888; background: #f4f4f4; }
mark { background: #ffe48a; }
.missing { color: #a00; font-weight: bold; }
.warn { color: #a00; }
.signoff { border-top: 1px dashed #999; margin-top: .6rem; padding-top: .4rem; font: .85rem Arial, sans-serif; }
.signoff .line { display: inline-block; min-width: 11rem; border-bottom: 1px solid #333; margin-right: 1rem; }
.box { display: inline-block; width: .9rem; height: .9rem; border: 1px solid #333; vertical-align: middle; }
p.examples { font-size: .8rem; color: #333; margin: .4rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } td, th { border: 1px solid #aaa;
        padding: .25rem .4rem; vertical-align: top; text-align: left; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


def sheet(content: Content, documents: Documents | None = None, *, today: dt.date | None = None,
          grade_of: Callable[[str], float] | None = None) -> str:
    """The whole sign-off sheet as one HTML page."""
    grade_of = grade_of or grader()
    today = today or dt.date.today()
    answers = [a for a in content.answers.values()]
    sourced = sum(1 for a in answers if content.sourced(a.intent))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Content sign-off sheet</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Content sign-off sheet</h1>",
        (f'<p class="meta">Generated {today.isoformat()} from {escape(str(content.path))}: {len(content.intents)} '
        f"questions ({sourced} answered from a document), {len(content.classes)} medicine classes, "
        f"{len(content.safety.replies)} escalation replies, {len(content.safety.regions)} regions.</p>"),
        ("<p>Read each answer beside the passages of its source. Check that it says only what the source says, "
        "in plain words, with no dose, schedule or advice to start, stop or change a medicine; then tick and "
        f"sign its box. Long answers should be {MIN_WORDS}-{MAX_WORDS} words at reading grade {MAX_GRADE:g} or "
        "lower (Flesch-Kincaid).</p>"),
    ]
    if documents is None:
        parts.append('<p class="missing">The source documents were not given (psychoed review --sources DIR), '
                     "so the passages below are shown as the answers name them, not quoted.</p>")
    parts.append(_sources(content))
    topics: dict[str, list[Intent]] = {}
    for intent in content.intents:
        topics.setdefault(intent.topic, []).append(intent)
    for topic, intents in topics.items():
        parts.append(f"<h2>{escape(topic)}</h2>")
        parts += [_intent(content, i, content.answers[i.id], documents, grade_of) for i in intents]
    parts.append(_medicines(content))
    parts.append(_escalations(content))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _sources(content: Content) -> str:
    rows = "".join(f"<tr><td>{escape(s.id)}</td><td>{escape(s.title)}</td><td>{escape(s.publisher or '')}</td>"
                   f"<td>{escape(s.kind or '')}</td><td>{escape(s.note or '')}</td></tr>"
                   for s in content.sources.values())
    return ("<h2>Sources</h2><table><tr><th>id</th><th>title</th><th>publisher</th><th>what it is</th>"
            f"<th>note</th></tr>{rows}</table>")


def _intent(content: Content, intent: Intent, answer: Answer, documents: Documents | None,
            grade_of: Callable[[str], float]) -> str:
    source = content.sources.get(answer.source or "")
    words = len(answer.text.split())
    grade = grade_of(answer.text)
    figures = f"{words} words, grade {grade:.1f}"
    if content.sourced(intent.id) and (grade > MAX_GRADE or not MIN_WORDS <= words <= MAX_WORDS):
        figures = f'<span class="warn">{figures}</span>'
    kind = {"answer": "answered from a document", "social": "about the conversation or the bot (no document)",
            "unanswered": "a question the documents do not answer: says so and who can"}[intent.kind]
    cited = (f"{escape(source.cited)}" + (f' <span class="small">({escape(source.note)})</span>' if source.note else "")
             if source else "none")
    return "\n".join([
        f'<section class="item" id="intent-{escape(intent.id)}">',
        f"<h3>{escape(intent.question)}</h3>",
        f'<p class="small">{escape(intent.id)}: {kind}</p>',
        '<div class="cols"><div>',
        '<div class="label">Answer, short</div>',
        f"<p>{escape(answer.short) if answer.short else '<i>none: the full answer is shown</i>'}</p>",
        f'<div class="label">Answer, full ({figures})</div>',
        "".join(f"<p>{escape(p)}</p>" for p in answer.text.split("\n\n")),
        "</div><div>",
        f'<div class="label">Source</div><p>{cited}</p>',
        _passages(content, answer, documents),
        "</div></div>",
        f'<p class="examples"><b>Asked as ({len(intent.examples)}):</b> '
        + " &middot; ".join(escape(e) for e in intent.examples) + "</p>",
        f'<p class="small">Reviewed by {escape(answer.reviewed_by)} on {answer.reviewed_on.isoformat()}.</p>',
        _signoff(),
        "</section>",
    ])


def _passages(content: Content, answer: Answer, documents: Documents | None) -> str:
    if not answer.passages:
        return ('<p class="missing">No passage named.</p>' if content.sourced(answer.intent)
                else '<p class="small">No source: this reply is about the conversation or the bot itself.</p>')
    out = ['<div class="label">Passages it rests on</div>']
    if documents is None:
        return "".join(out) + "".join(f"<blockquote>&hellip;{escape(a)}&hellip;</blockquote>" for a in answer.passages)
    for anchor, found in passages(content, documents, answer):
        out.append(_quote(found) if found else f'<p class="missing">Not found in the source: "{escape(anchor)}"</p>')
    return "".join(out)


def _quote(found: Passage) -> str:
    text = found.text
    body = escape(text[:found.start]) + f"<mark>{escape(text[found.start:found.end])}</mark>" + escape(text[found.end:])
    return f'<blockquote>{body}<br><span class="small">{escape(found.title)} ({escape(found.file)})</span></blockquote>'


def _signoff() -> str:
    return ('<div class="signoff"><span class="box"></span> Approved &nbsp; <span class="box"></span> Needs change'
            ' &nbsp;&nbsp; Reviewer <span class="line"></span> Date <span class="line"></span><br>Notes<br><br></div>')


def _medicines(content: Content) -> str:
    parts = ["<h2>Medicine classes</h2>",
             "<p>What the bot says when a patient asks about a medicine of each class.</p>"]
    for key, cls in content.classes.items():
        members = [m for m in content.medicines.values() if m.cls == key]
        names = "; ".join(m.name + (f" ({', '.join(m.brands)})" if m.brands else "") for m in members)
        source = content.sources.get(cls.source or "")
        parts.append(_item(f"class-{key}", f'{escape(cls.name)} <span class="small">({escape(key)})</span>',
                           f'<div class="label">Full name</div><p>{escape(cls.long)}</p>'
                           f'<div class="label">What the bot says</div><p>{escape(cls.about)}</p>'
                           f'<p class="small">Source: {escape(source.cited) if source else "none"}. '
                           f"Medicines: {escape(names)}.</p>"))
    return "\n".join(parts)


def _escalations(content: Content) -> str:
    regions = content.safety.regions
    parts = ["<h2>Escalation replies</h2>",
             ("<p>What the bot shows instead of an answer when a message needs a clinician, a crisis line or "
              "emergency help; each with every region's help lines as the patient sees them. Then what an answer "
              "says instead once a conversation has had a crisis or emergency reply.</p>")]
    heads = "".join(f"<th>{escape(region.name)}</th>" for region in regions.values())
    texts = [(f"reply-{key}", key.replace("_", " "), template) for key, template in content.safety.replies.items()]
    texts += [(f"after-{iid}", f"after a crisis: {content.intent(iid).question}", template)
              for iid, template in content.safety.after_crisis.items()]
    for anchor, title, template in texts:
        cells = "".join(f"<td>{_paragraphs(template.format(**region.placeholders()))}</td>"
                        for region in regions.values())
        parts.append(_item(anchor, escape(title), f"<table><tr>{heads}</tr><tr>{cells}</tr></table>"))
    return "\n".join(parts)


def _item(anchor: str, title: str, body: str) -> str:
    """One thing to sign: its heading (HTML), what it says (HTML), and the sign-off box."""
    return f'<section class="item" id="{escape(anchor)}">\n<h3>{title}</h3>\n{body}\n{_signoff()}\n</section>'


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in _split(text))


def _split(text: str) -> Iterable[str]:
    return (p.strip() for p in text.split("\n\n") if p.strip())


def run(*, content: str | None = None, sources: Path | None = None, out: Path = Path("review.html")) -> int:
    """`psychoed review`: write the sheet and say where."""
    loaded = load_content(content)
    if sources is not None and not sources.is_dir():
        raise ConfigError(f"no folder of source documents at {sources}")
    page = sheet(loaded, Documents(sources) if sources is not None else None)
    if str(out) == "-":
        print(page, end="")
        return 0
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out} ({exc.strerror}); pass --out with a writable path") from None
    print(f"wrote {out}: {len(loaded.intents)} questions, {len(loaded.classes)} medicine classes, "
          f"{len(loaded.safety.replies)} escalation replies" + ("" if sources else " (no --sources: passages not quoted)"))
    return 0


__all__ = ["run", "sheet"]
