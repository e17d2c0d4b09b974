"""Views of result objects: HTML for notebooks, text for terminals, figures.

Each view module registers its functions for the result types it shows in
:mod:`mlops_jupyter.display.registry` (by type name); result classes reach them through the
``Viewable`` mixin and never import this package. Light helpers live in
:mod:`mlops_jupyter.display.html`; plotly is only imported inside the functions that build
figures. Widgets with buttons are a surface: :mod:`mlops_jupyter.widgets`.
"""
