"""How Remit says things to people, in one place for the pages and the alert e-mails.

``labels``: words for the read model's codes (responses, delivery, stages, roles). ``changes``:
a change to a body, a responsibility or an action as a sentence, in the tense its stage gives
it (announced: "will move"; in effect: "moved"; withdrawn: "will not move after all").
``events``: a stored event as a title and lines (the pages' timelines). ``alerts``: an alert
as a person reads it (what changed, for whom, why, its stage, the quoted source, the link to
the page). ``render``: the Jinja templates of the alert e-mails, whose macros the pages' own
templates import too.
"""
