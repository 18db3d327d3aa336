"""Commands that run without the full-screen app (``auth …``, ``-p``)."""
