"""The finetuning tasks: GLUE (``glue``, its data ``glue_data`` and metrics ``glue_metrics``), SQuAD v1.1/v2.0
(``squad``, ``squad_data``, ``squad_eval``) and RACE (``race``, data loading included).

Each ``run_*`` resolves the checkpoint (``benchmarks.hf_checkpoint``), runs the recipe's sweep
(``benchmarks.sweep``) with the shared loop (``benchmarks.finetune``) and writes one result per task
(``benchmarks.results``).

Usage: ``from benchmarks.tasks.glue import run_glue``
"""
