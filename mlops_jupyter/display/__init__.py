"""Renderers of result objects: HTML for notebooks, text for terminals, figures, widgets.

Light helpers live in :mod:`mlops_jupyter.display.html`; plotly and ipywidgets are only
imported inside the functions that build figures or widgets.
"""
