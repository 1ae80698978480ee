"""Experiment configs (YAML) and their loaders."""
