"""Example accelsim plug-ins, found through this distribution's entry points."""
