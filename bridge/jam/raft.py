"""pysyncobj, imported in one place and mended.

pysyncobj's TCP module installs a Windows-only ``socket.inet_ntop`` on every platform, which
breaks anything else in the process that turns an IP address into text (psutil's
connection list, for one). The C original from ``_socket`` is put back after the import.
"""

from __future__ import annotations

import _socket
import socket

try:
    from pysyncobj import SyncObj, SyncObjConf, SyncObjConsumer, replicated
    from pysyncobj.tcp_connection import TcpConnection
    from pysyncobj.transport import TCPTransport
finally:
    socket.inet_ntop = _socket.inet_ntop

__all__ = ["SyncObj", "SyncObjConf", "SyncObjConsumer", "TCPTransport", "TcpConnection",
           "replicated"]
