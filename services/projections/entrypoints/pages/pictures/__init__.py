"""Pictures drawn on the server as SVG, in plain Python (no layout engine).

Both pictures are lanes on a time axis: one lane per body, one column per change (a position
of the register), bars for what holds over time and marks and arrows for what happens at a
moment. A layout engine (graphviz) would place boxes and arrows well but not on a shared time
axis, which is what these pictures are for; lanes on an axis are a few lines of arithmetic.

:mod:`.model` holds the picture as data; :mod:`.draw` turns it into SVG; :mod:`.lineage` and
:mod:`.family` build it from the views. Every element carries the sentence that says the same
fact in words, and :func:`.model.Picture.facts` lists them: the table beside each picture.
"""
