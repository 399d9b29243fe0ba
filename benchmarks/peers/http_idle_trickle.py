#!/usr/bin/env python3
"""Slow clients against a running `geoplex serve`: IDLE keep-alive connections (each served one
request, then silent) plus TRICKLE connections sending a request one byte per second, while an
ordinary client sends requests on fresh connections. Connections the server closes (idle or
request deadline) are reopened, so the pressure lasts the whole run. Prints the ordinary
requests' latency percentiles and failures. Loopback only, bounded by --duration.

  benchmarks/peers/http_idle_trickle.py --port 8080 --duration 60 [--idle 1000] [--trickle 200]
      [--path /health] [--rate 20]
"""
import argparse
import asyncio
import socket
import statistics
import threading
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--duration", type=float, default=60)
parser.add_argument("--idle", type=int, default=1000)
parser.add_argument("--trickle", type=int, default=200)
parser.add_argument("--path", default="/health")
parser.add_argument("--rate", type=float, default=20, help="ordinary requests per second")
args = parser.parse_args()

REQUEST = f"GET {args.path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
stats = {"idle_open": 0, "idle_reopened": 0, "trickle_open": 0, "trickle_reopened": 0}


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)


async def idle_client(stop):
    first = True
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(args.host, args.port)
            writer.write(REQUEST)
            await writer.drain()
            await read_response(reader)
            stats["idle_open"] += 1
            if not first:
                stats["idle_reopened"] += 1
            first = False
            await reader.read(1)  # returns when the server closes the idle connection
            stats["idle_open"] -= 1
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.5)


async def trickle_client(stop):
    first = True
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(args.host, args.port)
            stats["trickle_open"] += 1
            if not first:
                stats["trickle_reopened"] += 1
            first = False
            try:
                for byte in REQUEST * 100:
                    if stop.is_set():
                        break
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(1.0)
            finally:
                stats["trickle_open"] -= 1
                writer.close()
        except (OSError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.5)


def ordinary(results, failures, stop):
    interval = 1.0 / args.rate
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with socket.create_connection((args.host, args.port), timeout=5) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(REQUEST)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("closed")
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("closed")
                    body += chunk
                if not head.startswith(b"HTTP/1.1 200"):
                    raise OSError(head.split(b"\r\n")[0].decode())
            results.append((time.perf_counter() - t0) * 1000)
        except OSError as e:
            failures.append(str(e))
        time.sleep(max(0.0, interval - (time.perf_counter() - t0)))


async def main():
    stop = asyncio.Event()
    tasks = []
    for i in range(args.idle):
        tasks.append(asyncio.create_task(idle_client(stop)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    for _ in range(args.trickle):
        tasks.append(asyncio.create_task(trickle_client(stop)))
    await asyncio.sleep(2)  # let them connect
    print(f"# open before measuring: idle {stats['idle_open']}, trickling {stats['trickle_open']}")
    results, failures = [], []
    thread_stop = threading.Event()
    t = threading.Thread(target=ordinary, args=(results, failures, thread_stop))
    t.start()
    await asyncio.sleep(args.duration)
    thread_stop.set()
    t.join()
    print(f"# open at the end: idle {stats['idle_open']}, trickling {stats['trickle_open']}; reopened after a "
          f"server close: idle {stats['idle_reopened']}, trickling {stats['trickle_reopened']}")
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if results:
        q = statistics.quantiles(results, n=100, method="inclusive")
        print(f"ordinary requests: {len(results)} ok, {len(failures)} failed; latency ms p50 {q[49]:.2f} "
              f"p90 {q[89]:.2f} p99 {q[98]:.2f} max {max(results):.2f}")
    else:
        print(f"ordinary requests: none succeeded, {len(failures)} failed")
    if failures:
        print("failures:", sorted(set(failures))[:5])


asyncio.run(main())
