"""cnnviz: the library behind the dashboard for d2l chapters 7–8. It never imports Streamlit."""

__version__ = "0.1.0"
