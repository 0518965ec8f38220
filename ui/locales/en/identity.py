"""The sidebar's teacher box (ui/identity.py)."""

TEXT = {
    "teacher": "Teacher",
    "teacher_mode": "Teacher mode: you can see, stop, delete and pin every run, and launch "
    "full-size runs.",
    "share_links": "Students may open others' runs by link",
    "lock": "Lock teacher mode",
    "no_secret": "No teacher secret is set on this server: set CNNVIZ_TEACHER_SECRET (or "
    "`teacher_secret` under `[cnnviz]` in .streamlit/secrets.toml) and restart.",
    "secret": "Teacher secret",
    "unlock": "Unlock",
    "wrong": "That is not the teacher secret.",
}
