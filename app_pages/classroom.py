"""The class session: the teacher opens a class and sees the roster, students join it with a
code, and ``?view=projector`` shows the code, the link and its QR code large."""

from ui.classroom import class_page

class_page()
