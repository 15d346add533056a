"""Streamlit-only helpers shared by the pages: cached wrappers, the image picker, small widgets.

The one place where caching decorators live. Imports run app.py -> pages -> ui -> cnnviz.
"""
