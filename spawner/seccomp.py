"""A small seccomp filter for bubbles, as the classic BPF program bwrap loads.

Namespaces and the account switch do the isolation; this filter closes two
doors they leave open to an unprivileged process:

- ``sched_setaffinity``: without a CPU cgroup, a bubble's CPU limit is its
  CPU affinity, which any process may otherwise widen again for itself;
- new user namespaces (``clone``/``unshare`` with ``CLONE_NEWUSER``;
  ``clone3``, whose flags a filter cannot read, answers ``ENOSYS`` so that
  the C library falls back to ``clone``): they give no access to anything
  outside the sandbox, but expose much more of the kernel to attack.

Other ABIs on the same machine (i386, x32) are refused outright.
:func:`make_seccomp_filter` is pure and returns the bytes of a
``struct sock_filter`` array, as ``bwrap --seccomp FD`` reads them.
"""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass

# linux/filter.h, linux/seccomp.h, linux/sched.h
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_X32_SYSCALL_BIT = 0x40000000
CLONE_NEWUSER = 0x10000000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16  # struct seccomp_data, little-endian


@dataclass(frozen=True)
class SyscallTable:
    """The architecture's audit id and the numbers of the system calls filtered."""

    audit_arch: int
    sched_setaffinity: int
    unshare: int
    clone: int
    clone3: int
    has_x32: bool


SYSCALLS = {
    "x86_64": SyscallTable(0xC000003E, sched_setaffinity=203, unshare=272, clone=56, clone3=435, has_x32=True),
    "aarch64": SyscallTable(0xC00000B7, sched_setaffinity=122, unshare=97, clone=220, clone3=435, has_x32=False),
}


def _stmt(code: int, k: int) -> tuple[int, int, int, int]:
    return (code, 0, 0, k)


def _jump(code: int, k: int, if_true: int, if_false: int) -> tuple[int, int, int, int]:
    return (code, if_true, if_false, k)


def _errno(number: int) -> tuple[int, int, int, int]:
    return _stmt(_RET_K, _RET_ERRNO | number)


def make_seccomp_filter(table: SyscallTable) -> bytes:
    """The filter program for one architecture (see the module docstring)."""
    allow, eperm = _stmt(_RET_K, _RET_ALLOW), _errno(errno.EPERM)
    program = [
        _stmt(_LD_W_ABS, _OFFSET_ARCH),
        _jump(_JEQ_K, table.audit_arch, 1, 0),
        _errno(errno.ENOSYS),  # another ABI
        _stmt(_LD_W_ABS, _OFFSET_NR),
    ]
    if table.has_x32:
        program += [_jump(_JGE_K, _X32_SYSCALL_BIT, 0, 1), _errno(errno.ENOSYS)]
    program += [
        _jump(_JEQ_K, table.sched_setaffinity, 0, 1),
        eperm,
        _jump(_JEQ_K, table.clone3, 0, 1),
        _errno(errno.ENOSYS),
        _jump(_JEQ_K, table.clone, 1, 0),
        _jump(_JEQ_K, table.unshare, 0, 3),
        _stmt(_LD_W_ABS, _OFFSET_ARG0),  # flags of clone and unshare, low 32 bits
        _jump(_JSET_K, CLONE_NEWUSER, 0, 1),
        eperm,
        allow,
    ]
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program)
