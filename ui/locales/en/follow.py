"""Follow the teacher (ui/follow.py): the students' switch and the teacher's recall."""

TEXT = {
    "switch": "Follow the teacher",
    "switch_help": "While this is on, your page and the lesson's settings move with the "
    "teacher's. Your drawings, uploads and runs stay yours. Switch it off to explore: your own "
    "page and settings come back.",
    "following": "You follow the teacher: your page moves with theirs.",
    "bring": "Bring everyone here",
    "bring_help": "Turns following on for every student and moves each one to this page, with "
    "its settings as you have them now.",
    "brought": "Every student follows you now, to this page.",
    "following_count": "{n} students follow you.",
}
