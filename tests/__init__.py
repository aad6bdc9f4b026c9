"""The tests mirror the packages: ``tests/<package>/test_<module>.py`` holds the unit tests of
``<package>/<module>.py``; ``tests/integration/`` holds what runs whole commands or trainings, and the grader
against its case corpora (one theme per file). A package, so that equal basenames in two folders don't clash
and recipes can name ``tests.user_rewards:...`` rewards."""
