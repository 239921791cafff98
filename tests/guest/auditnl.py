# SPDX-License-Identifier: GPL-2.0
"""Raw audit netlink requests, for the kernel side of rule handling: what
auditctl would refuse before the kernel sees it (a wrong length, operator
or list) must still get a clear errno from the kernel."""

import errno
import os
import socket
import struct

NETLINK_AUDIT = 9
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
AUDIT_GET, AUDIT_ADD_RULE, AUDIT_DEL_RULE, AUDIT_LIST_RULES = 1000, 1011, 1012, 1013
AUDIT_SIGNAL_INFO, AUDIT_SIGNAL_INFO2 = 1010, 1021

# Filter lists (include/uapi/linux/audit.h)
FILTER_USER, FILTER_TASK, FILTER_ENTRY, FILTER_WATCH = 0, 1, 2, 3
FILTER_EXIT, FILTER_EXCLUDE, FILTER_FS, FILTER_URING_EXIT = 4, 5, 6, 7
NEVER, ALWAYS = 0, 2

# Operators as user space sends them
EQUAL, NOT_EQUAL = 0x40000000, 0x30000000
LESS_THAN, GREATER_THAN, BIT_MASK = 0x10000000, 0x20000000, 0x08000000

# Fields
F_PID, F_MSGTYPE, F_FILTERKEY, F_CONTID = 0, 12, 210, 27
FEATURE_BITMAP_CONTAINERID = 0x80
UNSET = (1 << 64) - 1

MAX_FIELDS = 64
_HEAD = struct.Struct(f"=3I{MAX_FIELDS}I{MAX_FIELDS}I{MAX_FIELDS}I{MAX_FIELDS}II")


class Field:
    """One rule field: type, operator, and either a u32 value or the bytes
    that travel in the string buffer (with values[i] = their length, or
    `length` to lie about it)."""

    def __init__(self, ftype, op, value=0, data=None, length=None):
        self.ftype, self.op, self.value, self.data = ftype, op, value, data
        self.length = length

    @staticmethod
    def contid(value, op=EQUAL, length=None, data=None):
        if data is None:
            data = struct.pack("=Q", value)
        return Field(F_CONTID, op, data=data, length=length)

    @staticmethod
    def key(text, op=EQUAL):
        return Field(F_FILTERKEY, op, data=text.encode())


def pack_rule(listnr, action, fields, mask=None):
    if mask is None:
        mask = [0xFFFFFFFF] * MAX_FIELDS  # every syscall
    types, values, ops, buf = [], [], [], b""
    for f in fields:
        types.append(f.ftype)
        ops.append(f.op)
        if f.data is None:
            values.append(f.value)
        else:
            values.append(len(f.data) if f.length is None else f.length)
            buf += f.data
    pad = [0] * (MAX_FIELDS - len(fields))
    return _HEAD.pack(listnr, action, len(fields), *mask, *(types + pad),
                      *(values + pad), *(ops + pad), len(buf)) + buf


def unpack_rule(data):
    head = _HEAD.unpack_from(data)
    flags, action, count = head[0:3]
    types = head[3 + MAX_FIELDS:3 + 2 * MAX_FIELDS]
    values = head[3 + 2 * MAX_FIELDS:3 + 3 * MAX_FIELDS]
    ops = head[3 + 3 * MAX_FIELDS:3 + 4 * MAX_FIELDS]
    buf = data[_HEAD.size:]
    fields, off = [], 0
    # key, contid, watch, dir, exe and the LSM labels
    string_fields = {F_FILTERKEY, F_CONTID, 105, 107, 112,
                     13, 14, 15, 16, 17, 19, 20, 21, 22, 23}
    for i in range(count):
        if types[i] in string_fields:
            fields.append((types[i], ops[i], values[i], buf[off:off + values[i]]))
            off += values[i]
        else:
            fields.append((types[i], ops[i], values[i], None))
    return flags, action, fields


class AuditSocket:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, mtype, payload, flags):
        self.seq += 1
        hdr = struct.pack("=IHHII", 16 + len(payload), mtype, flags, self.seq, 0)
        self.sock.sendto(hdr + payload, (0, 0))
        return self.seq

    def _messages(self):
        data = self.sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
            yield mtype, seq, data[off + 16:off + length]
            off += (length + 3) & ~3

    def request(self, mtype, payload=b""):
        """Sends a request with an ack; returns the errno name ("OK")."""
        seq = self._send(mtype, payload, NLM_F_REQUEST | NLM_F_ACK)
        while True:
            for rtype, rseq, body in self._messages():
                if rseq == seq and rtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    return "OK" if err == 0 else errno.errorcode.get(err, str(err))

    def add_rule(self, listnr, action, fields, mask=None):
        return self.request(AUDIT_ADD_RULE, pack_rule(listnr, action, fields, mask))

    def del_rule(self, listnr, action, fields, mask=None):
        return self.request(AUDIT_DEL_RULE, pack_rule(listnr, action, fields, mask))

    def list_rules(self):
        """Every rule, as unpack_rule() tuples."""
        seq = self._send(AUDIT_LIST_RULES, b"", NLM_F_REQUEST)
        rules = []
        while True:
            for rtype, rseq, body in self._messages():
                if rseq != seq:
                    continue
                if rtype == NLMSG_DONE:
                    return rules
                if rtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    if err:
                        raise OSError(err, os.strerror(err))
                    continue
                if rtype == AUDIT_LIST_RULES:
                    rules.append(unpack_rule(body))

    def lost(self):
        # struct audit_status: lost is the 7th u32.
        return struct.unpack_from("=7I", self.reply(AUDIT_GET))[6]

    def feature_bitmap(self):
        # struct audit_status: feature_bitmap is the 9th u32.
        return struct.unpack_from("=9I", self.reply(AUDIT_GET))[8]

    def reply(self, mtype):
        """Sends request mtype with no payload; returns the body of the
        reply of that type, or raises OSError with the kernel's errno."""
        seq = self._send(mtype, b"", NLM_F_REQUEST)
        while True:
            for rtype, rseq, body in self._messages():
                if rseq != seq:
                    continue
                if rtype == mtype:
                    return body
                if rtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    if err:
                        raise OSError(err, os.strerror(err))

    def signal_info2(self):
        """AUDIT_SIGNAL_INFO2: (uid, pid, contid text, LSM context, body
        length) of the task that last signalled auditd."""
        body = self.reply(AUDIT_SIGNAL_INFO2)
        uid, pid, cid_len = struct.unpack_from("=IiI", body)
        return (uid, pid, body[12:12 + cid_len].decode(), body[12 + cid_len:],
                len(body))

    def signal_info(self):
        """AUDIT_SIGNAL_INFO: (uid, pid, LSM context, body length)."""
        body = self.reply(AUDIT_SIGNAL_INFO)
        uid, pid = struct.unpack_from("=Ii", body)
        return uid, pid, body[8:], len(body)
