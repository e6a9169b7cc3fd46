"""The metric layer: YAML metric definitions validated and compiled onto the star schema."""
