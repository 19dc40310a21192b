#!/usr/bin/python3
"""A FUSE passthrough that keeps unsynced file data in memory, like Jepsen's LazyFS.

    lazyfs.py BACKING MOUNTPOINT

Mounts BACKING at MOUNTPOINT (foreground; unmount with `fusermount -u MOUNTPOINT`). File data written
through the mount goes to a page cache in this process, not to BACKING, until the file is fsync'ed or
fdatasync'ed; reads see the cached pages over BACKING. Killing this process (SIGKILL) is the power cut:
every byte not yet synced is gone, exactly what a machine losing power loses from its page cache. The
power-cut test (chaos/faults/power-cut.ts) kills the server and this process together, unmounts, and mounts
BACKING again for the next start.

Semantics, chosen to be at least as harsh as a journaling filesystem for data and simple for names:
- data: write() and truncate() (including O_TRUNC) stay in memory per inode (so they follow a rename)
  until fsync/fdatasync of that file; close() does not sync. A file renamed over another before its data
  was synced has, after a cut, the data it had on disk: the zero-length-file bug of ext4 without
  auto_da_alloc shows up here too.
- names: create, mkdir, rename, link, unlink, rmdir and symlink are applied to BACKING at once (durable, as
  with a metadata journal in ordered mode); directory fsync is therefore a no-op. A file created and never
  synced exists after a cut with whatever data reached BACKING (none, if nothing was synced).
- an inode whose last name is removed forgets its unsynced pages.

Debian: fuse3 (or fuse) for fusermount, python3-fusepy (the module is `fusepy` there, `fuse` on PyPI).
"""
import errno
import os
import sys
import threading

try:
    import fusepy as fuse  # Debian's python3-fusepy
except ImportError:  # pragma: no cover - PyPI's fusepy
    import fuse  # type: ignore

PAGE = 4096


class Pending:
    """Unsynced state of one inode: dirty pages, the size readers see, and the floor: the smallest size the
    file had since its last sync (disk bytes at or past it were cut off and must read as zeros)."""

    __slots__ = ('pages', 'size', 'floor')

    def __init__(self, size):
        self.pages = {}
        self.size = size
        self.floor = size


class LazyFS(fuse.Operations):
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.pending = {}  # (st_dev, st_ino) -> Pending
        self.mutex = threading.RLock()

    # helpers -------------------------------------------------------------------------------------
    def _full(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def _key(self, full):
        st = os.lstat(full)
        return (st.st_dev, st.st_ino)

    def _pending(self, full, create=False):
        st = os.lstat(full)
        key = (st.st_dev, st.st_ino)
        p = self.pending.get(key)
        if p is None and create:
            p = Pending(st.st_size)
            self.pending[key] = p
        return p

    def _base_page(self, full, p, index):
        """Page `index` as the disk holds it, zero from the floor on (truncated away since the last sync)."""
        start = index * PAGE
        valid = max(0, min(PAGE, p.floor - start))
        data = b''
        if valid > 0:
            with open(full, 'rb') as f:
                f.seek(start)
                data = f.read(valid)
        return bytearray(data) + bytearray(PAGE - len(data))

    def _sync(self, full):
        st = os.lstat(full)
        key = (st.st_dev, st.st_ino)
        p = self.pending.pop(key, None)
        fd = os.open(full, os.O_WRONLY)
        try:
            if p is not None:
                # Cut the disk to the floor first (what was truncated away reads as zeros if regrown), then
                # the dirty pages up to the size, then the size.
                os.ftruncate(fd, min(p.floor, os.fstat(fd).st_size))
                for index in sorted(p.pages):
                    start = index * PAGE
                    if start >= p.size:
                        continue
                    os.pwrite(fd, bytes(p.pages[index][:min(PAGE, p.size - start)]), start)
                os.ftruncate(fd, p.size)
            os.fsync(fd)
        finally:
            os.close(fd)

    # filesystem methods ---------------------------------------------------------------------------
    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise fuse.FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def getattr(self, path, fh=None):
        with self.mutex:
            full = self._full(path)
            st = os.lstat(full)
            attrs = dict((k, getattr(st, k)) for k in (
                'st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid', 'st_ino'))
            p = self.pending.get((st.st_dev, st.st_ino))
            if p is not None:
                attrs['st_size'] = p.size
            attrs['st_blocks'] = (attrs['st_size'] + 511) // 512
            return attrs

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._full(path))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def mknod(self, path, mode, dev):
        return os.mknod(self._full(path), mode, dev)

    def rmdir(self, path):
        return os.rmdir(self._full(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._full(path), mode)

    def statfs(self, path):
        stv = os.statvfs(self._full(path))
        return dict((k, getattr(stv, k)) for k in (
            'f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax'))

    def unlink(self, path):
        with self.mutex:
            full = self._full(path)
            st = os.lstat(full)
            os.unlink(full)
            if st.st_nlink <= 1:
                self.pending.pop((st.st_dev, st.st_ino), None)

    def symlink(self, name, target):
        return os.symlink(target, self._full(name))

    def rename(self, old, new):
        with self.mutex:
            full_new = self._full(new)
            try:
                st = os.lstat(full_new)
                replaced = (st.st_dev, st.st_ino) if st.st_nlink <= 1 else None
            except FileNotFoundError:
                replaced = None
            os.rename(self._full(old), full_new)
            if replaced is not None and replaced != self._key(full_new):
                self.pending.pop(replaced, None)

    def link(self, target, name):
        return os.link(self._full(name), self._full(target))

    def utimens(self, path, times=None):
        return os.utime(self._full(path), times)

    # files ----------------------------------------------------------------------------------------
    def open(self, path, flags):
        # Data goes through this process; the descriptor only proves the file can be opened as asked.
        fd = os.open(self._full(path), flags & ~(os.O_TRUNC | os.O_APPEND | os.O_CREAT | os.O_EXCL))
        if flags & os.O_TRUNC:
            self.truncate(path, 0)
        return fd

    def create(self, path, mode, fi=None):
        with self.mutex:
            full = self._full(path)
            fd = os.open(full, os.O_RDWR | os.O_CREAT, mode)
            # A file created over an existing one (O_TRUNC without O_EXCL) starts empty for readers.
            p = self._pending(full, create=True)
            p.size = 0
            p.floor = 0
            p.pages.clear()
            return fd

    def read(self, path, length, offset, fh):
        with self.mutex:
            full = self._full(path)
            p = self._pending(full)
            if p is None:
                return os.pread(fh, length, offset)
            end = min(offset + length, p.size)
            if end <= offset:
                return b''
            out = bytearray()
            pos = offset
            while pos < end:
                index = pos // PAGE
                page = p.pages.get(index)
                if page is None:
                    page = self._base_page(full, p, index)
                within = pos - index * PAGE
                take = min(PAGE - within, end - pos)
                out += page[within:within + take]
                pos += take
            return bytes(out)

    def write(self, path, buf, offset, fh):
        with self.mutex:
            full = self._full(path)
            p = self._pending(full, create=True)
            pos = offset
            data = memoryview(buf)
            done = 0
            while done < len(data):
                index = pos // PAGE
                page = p.pages.get(index)
                if page is None:
                    page = self._base_page(full, p, index)
                    p.pages[index] = page
                within = pos - index * PAGE
                take = min(PAGE - within, len(data) - done)
                page[within:within + take] = data[done:done + take]
                pos += take
                done += take
            p.size = max(p.size, offset + len(data))
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.mutex:
            full = self._full(path)
            p = self._pending(full, create=True)
            if length < p.size:
                for index in [i for i in p.pages if i * PAGE >= length]:
                    del p.pages[index]
                index = length // PAGE
                within = length - index * PAGE
                if within > 0 and index in p.pages:
                    p.pages[index][within:] = bytearray(PAGE - within)
                p.floor = min(p.floor, length)
            p.size = length

    def flush(self, path, fh):
        return 0  # close is not a sync

    def release(self, path, fh):
        os.close(fh)
        return 0

    def fsync(self, path, datasync, fh):
        with self.mutex:
            self._sync(self._full(path))
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0  # names are applied at once (see the module's docstring)


def main():
    if len(sys.argv) != 3:
        print('usage: lazyfs.py BACKING MOUNTPOINT', file=sys.stderr)
        sys.exit(2)
    fuse.FUSE(LazyFS(sys.argv[1]), sys.argv[2], foreground=True, nothreads=True)


if __name__ == '__main__':
    main()
