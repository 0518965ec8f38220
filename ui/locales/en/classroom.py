"""The Class page: opening a class, joining it, the roster, the projector view."""

from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "title": "Class",
    "lesson": "— a class session (beyond the book)",
    "intro": "The teacher opens a class; each student joins it once per browser with its code "
    "and a name. While a class is open, the per-student limits, the fair queue and the disk "
    "quota count seats. Without a class, cnnviz works as always: no code needed.",
    "unreadable": "The class cannot be read right now ({error}). Reload the page in a moment.",
    "no_store": "The run store cannot be opened, so no class can be held now.",
    # the teacher
    "none_open": "No class is open. Open one to get a join code for the students.",
    "open": "Open a class",
    "open_new": "Open a new class",
    "open_new_help": "Closes this class (its seats and runs stay) and opens another with a new "
    "code.",
    "close": "Close the class",
    "close_help": "Students work alone again; every seat, run and board is kept.",
    "opened": "Class opened: code **{code}**.",
    "closed": "The class is closed; its seats and runs are kept.",
    "code": "Join code",
    "link": "Join link",
    "projector": "Open the projector view",
    "show_names": "Show names on the projector",
    "show_names_help": "Off: the projector shows pseudonyms (Student 1, Student 2, …); the "
    "roster below always shows the names.",
    "roster": "Roster",
    "roster_empty": "No student has joined yet.",
    "roster_count": "{n} seat(s) · updated every {s} s",
    "col_seat": "#",
    "col_name": "name",
    "col_pseudonym": "on the projector",
    "col_page": "page",
    "col_runs": "runs",
    "col_latest": "latest run",
    "col_seen": "last seen",
    "no_runs": "none",
    "seen_ago": "{t} ago",
    "seen_now": "just now",
    "latest": "{name}: {status} ({done}/{total} epochs)",
    "status_plain": STATUS_PLAIN,
    "teacher_only": "The roster and the class controls are the teacher's: unlock the teacher "
    "role in the sidebar.",
    # a student
    "join_title": "Join the class",
    "join_none": "No class is open now: cnnviz works without one. When the teacher opens a "
    "class, its code is on the projector.",
    "join_code": "Class code",
    "join_name": "Your name (the teacher sees it)",
    "join_name_help": "Up to {most} characters. The projector shows a pseudonym unless the "
    "teacher turns names on.",
    "join": "Join",
    "seated": "You are in the class as **{name}** (seat {n}).",
    "seated_help": "Your runs, your place in the queue and your disk quota belong to this seat. "
    "To change your name, join again with the same code.",
    "rename": "Change my name",
    "join_key": "Seat key (only to take your seat back)",
    "join_key_help": "Leave it empty when you join for the first time. A browser that lost its "
    "cookies gets its seat back with your name and this key.",
    "seat_key": "Your seat key: **{key}**. Keep it to yourself: with it you get your seat and "
    "your runs back in another browser.",
    # the projector
    "proj_title": "Join the class",
    "proj_none": "No class is open.",
    "proj_code": "Code",
    "proj_link": "or open",
    "proj_qr": "QR code of the join link",
    "proj_qr_alt": "QR code: scan it to open the join link",
    "proj_seats": "{n} student(s) joined",
}
