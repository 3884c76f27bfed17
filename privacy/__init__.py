"""Callers' privacy: call-record pseudonym retention (`retention`) and its CLI (`cli`).

The CLI sits on top (it runs the survey's combined purge); `retention` sits under the survey
so the survey worker can run the pseudonym purge without a package cycle.
"""
