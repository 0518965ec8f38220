"""Class board: the class's experiment, built for the projector.

The teacher turns a base setup into an experiment that varies one field; each student starts
one run with their value; the board shows every seat's curve live, then each value's mean and
band, value against final accuracy, the table of seats and a sentence that says what the
class found (the ablation lab's comparison and verdicts). It is read from the run store, so it
survives a restart of the server.
"""

from ui import page_header, settings
from ui.board import TEXT, board_ui
from ui.runs import manager_or_message

settings()
page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
mgr = manager_or_message()
if mgr is not None:
    board_ui(mgr)
