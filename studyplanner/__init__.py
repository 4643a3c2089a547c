"""The app shell: the program's entry point and its command-line face.

It sits above every other layer (cards <- planner <- ui <- studyplanner):
nothing below imports it, and the command line never loads Qt unless it is
asked to open the window.
"""
