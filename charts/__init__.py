"""Charts as PNG images (matplotlib, Agg backend) with Chinese text, for proposal pages and chat replies.

`charts.render.render(chart)` turns one chart of a proposal payload into PNG bytes; `charts.draw` holds one
pure drawing function per chart kind; `charts.fonts` finds the CJK font they need.
"""
