"""lm-eval task definitions shipped with the harness (pass this folder to lm-eval's `--include_path`).

The folder is a package only so that the YAML files travel with an installed distribution; lm-eval reads the
YAML files and loads `utils.py` by path, and the harness locates the folder with
`harness.evaluation.tasks_dir()`.
"""
