"""The mark a render inside a worker (the mirror) carries, never a reader's request.

Its own module, so the mirror can set it without importing the web process's gates.
"""

IN_PROCESS_RENDER = "statuspage.in_process_render"
