"""``python -m lienthong``: the same as the ``lienthong`` command."""

from lienthong.cli import main

main()
