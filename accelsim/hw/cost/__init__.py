"""Cost model: energy (dynamic and static) and area of a design point, per unit and per action."""
