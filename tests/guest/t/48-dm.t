#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# dm-integrity mappings and their makers: a mapping that a labelled task
# opens (integritysetup, DM_CTRL op=ctr) names that container in the
# CONTAINER_ID record of each integrity failure (DM_EVENT), never the
# container of the task whose read found it; the maker's id stays
# reserved (ENOTUNIQ) until the mapping is closed, even after the
# container has gone; a mapping an unlabelled task opened names none.
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# No udev in the guest: libdevmapper makes the /dev/mapper nodes itself.
os.environ["DM_DISABLE_UDEV"] = "1"
PATTERN = b"CONTID-DM-PATTERN-"
BLOCK = 4096
work = tempfile.mkdtemp(prefix="contid-dm-")
subprocess.run(["mount", "-t", "tmpfs", "none", work], check=True)


def run_labelled(contid, command):
    """Runs the shell `command` in a task labelled `contid` (None: not
    labelled); returns its exit status."""
    child = Child(["bash", "-c", "read; " + command],
                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
    if contid is not None:
        eq(set_contid(child.pid, contid), "OK", f"label {contid}")
    child.proc.stdin.write(b"\n")
    child.proc.stdin.close()
    return child.proc.wait()


class Mapping:
    """An integrity mapping over a loop device on a tmpfs image, opened by
    a task of container `maker` (None: the host)."""

    def __init__(self, name, maker):
        self.name = name
        self.image = os.path.join(work, name + ".img")
        with open(self.image, "wb") as f:
            f.truncate(16 << 20)
        self.loop = subprocess.run(["losetup", "-f", "--show", self.image],
                                   check=True, stdout=subprocess.PIPE,
                                   text=True).stdout.strip()
        status = run_labelled(maker, (
            f"integritysetup format -q --batch-mode {self.loop} && "
            f"integritysetup open --integrity-no-journal {self.loop} {name}"))
        eq(status, 0, f"{name}: integritysetup format and open")
        self.dev = f"/dev/mapper/{name}"

    def corrupt_block(self, block):
        """Writes a pattern to `block` through the mapping, then changes a
        byte of it in the image underneath."""
        data = (PATTERN + self.name.encode()) * (BLOCK // 32)
        data = data[:BLOCK].ljust(BLOCK, b"\0")
        subprocess.run(["dd", f"of={self.dev}", f"bs={BLOCK}",
                        f"seek={block}", "count=1", "oflag=direct",
                        "status=none"], input=data, check=True)
        subprocess.run(["sync"], check=True)
        with open(self.image, "r+b") as f:
            image = f.read()
            offset = image.find(PATTERN + self.name.encode())
            if offset < 0:
                raise RuntimeError("the pattern is not in the image")
            f.seek(offset)
            f.write(b"X")

    def read_block(self, block, reader):
        """Reads `block` with O_DIRECT in a task of container `reader`;
        returns dd's exit status."""
        return run_labelled(reader, f"dd if={self.dev} of=/dev/null "
                            f"bs={BLOCK} skip={block} count=1 iflag=direct")

    def close(self):
        subprocess.run(["integritysetup", "close", self.name], check=True)
        subprocess.run(["losetup", "-d", self.loop], check=True)


def failures(name):
    """The DM_EVENT records of integrity failures on mapping `name`'s
    device number (which a closed mapping may have had before), once
    every earlier record is in the log."""
    log_barrier()
    major_minor = os.stat(f"/dev/mapper/{name}").st_rdev
    dev = f"{os.major(major_minor)}:{os.minor(major_minor)}"
    return records("DM_EVENT", rf"op=integrity-checksum dev={dev} ")


maker_id, reader_id = unique_value(), unique_value()

# --- a mapping made by a container ------------------------------------
made = Mapping("contid-made", maker_id)
try:
    dropped = wait_record("CONTAINER_OP", rf"op=drop .*old-contid={maker_id} ")
except TimeoutError:
    dropped = None
ok(dropped, "the maker's container has gone (its drop record is logged)")
with Child() as other:
    eq(set_contid(other.pid, maker_id), "ENOTUNIQ",
       "its id is reserved while the mapping exists")
    eq(get_contid(other.pid), str(UNSET), "the refused task stays unlabelled")

made.corrupt_block(10)
before = failures(made.name)
ok(made.read_block(10, reader_id) != 0,
   "a read of the corrupted block fails")
got = failures(made.name)[len(before):]
if eq(len(got), 1, "one DM_EVENT integrity-checksum record"):
    ok(got[0].rstrip().endswith(" record=1"),
       "DM_EVENT is tied to a CONTAINER_ID record", got[0])
    eq(event_contids(got[0]), [str(maker_id)],
       "its event names the maker, not the reader's container")
    ok(f"contid={reader_id}" not in "\n".join(event(serial(got[0]))),
       "the reader's container is nowhere in the event")

made.close()
with Child() as other:
    eq(set_contid(other.pid, maker_id), "OK",
       "the id is free again once the mapping is closed")

# --- a mapping made by the host ------------------------------------------
plain = Mapping("contid-plain", None)
plain.corrupt_block(7)
before = failures(plain.name)
ok(plain.read_block(7, reader_id) != 0,
   "a read of the corrupted block fails")
got = failures(plain.name)[len(before):]
if eq(len(got), 1, "one DM_EVENT integrity-checksum record"):
    ok(" record=" not in got[0], "DM_EVENT has no record=", got[0])
    eq(event_contids(got[0]), [], "its event has no CONTAINER_ID record")
plain.close()

subprocess.run(["umount", work], check=False)
done()
