"""The steward quality report (HTML, inline SVG charts) and Great Expectations Data Docs made offline."""
