"""The coding agent: the tool loop, the approval policy, checkpoints.

Above ``chat`` (it drives a conversation) and ``tools`` (what it runs); below ``ui`` and
``headless``, which only ask the user and show what happens. Free of textual.
"""
