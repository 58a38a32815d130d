"""Settings package.

``base`` reads the environment; ``local``, ``test`` and ``production`` adapt it.
"""
