"""The terminal front end: the chat's logic (chat.py), its rendering (render.py), the interactive prompt
(prompt.py) and the modes the command starts (modes.py: interactive, plain, JSON lines, ask)."""
