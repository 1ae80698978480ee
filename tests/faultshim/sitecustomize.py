"""Disk-full simulation for the fault suite, for machines without private mount namespaces (no tmpfs).

Loaded by a subprocess whose PYTHONPATH starts with this folder. When `MMRL_TEST_ENOSPC_DIR` is set, files
opened for writing under that folder accept `MMRL_TEST_ENOSPC_AFTER` bytes in total, then every write fails
with `OSError(ENOSPC)`, as a full disk would. Files opened any other way are untouched.
"""

import builtins
import errno
import io
import os

_DIR = os.environ.get("MMRL_TEST_ENOSPC_DIR")

if _DIR:
    _DIR = os.path.realpath(_DIR)
    _budget = [int(os.environ.get("MMRL_TEST_ENOSPC_AFTER", "0"))]
    _real_open = io.open

    def _path_of(file):
        if isinstance(file, int):
            try:
                return os.readlink(f"/proc/self/fd/{file}")
            except OSError:
                return ""
        try:
            return os.path.realpath(os.fsdecode(os.fspath(file)))
        except TypeError:
            return ""

    class _FillingFile:
        def __init__(self, fh):
            self._fh = fh

        def write(self, data):
            if len(data) > _budget[0]:
                _budget[0] = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            _budget[0] -= len(data)
            return self._fh.write(data)

        def __getattr__(self, name):
            return getattr(self._fh, name)

        def __enter__(self):
            self._fh.__enter__()
            return self

        def __exit__(self, *exc):
            return self._fh.__exit__(*exc)

        def __iter__(self):
            return iter(self._fh)

    def _open(file, mode="r", *args, **kwargs):
        fh = _real_open(file, mode, *args, **kwargs)
        if any(flag in mode for flag in "wax+") and _path_of(file).startswith(_DIR + os.sep):
            return _FillingFile(fh)
        return fh

    builtins.open = io.open = _open
