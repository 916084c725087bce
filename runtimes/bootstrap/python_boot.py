# Warm Python runtime: imported and waiting before a run exists. Reads one
# code header from stdin (u32 length + JSON), writes the files into /work and
# runs the first one as __main__; the rest of stdin belongs to the program.
import os, sys, json, traceback

for _m in os.environ.pop('CONVEYOR_PRELOAD', '').split(','):
    if _m:
        try:
            __import__(_m)
        except Exception:
            pass


def _conveyor_read(n):
    buf = b''
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            os._exit(0)
        buf += chunk
    return buf


# A forked run (python_zygote.py) starts here with the header already due: no marker.
if not globals().get('_conveyor_forked'):
    os.write(2, b'\0conveyor-ready\n')
# What json.loads of the bytes decodes them as (its encoding detection finds UTF-8 in a header that starts
# with '{'), without that detection nor struct: each touched more of a forked run's warm runtime (Session 17).
_spec = json.loads(_conveyor_read(int.from_bytes(_conveyor_read(4), 'big')).decode('utf-8', 'surrogatepass'))
_src = None
for _f in _spec['files']:
    _p = os.path.join('/work', _f['name'])
    _d = os.path.dirname(_p)
    if _d != '/work':  # /work itself exists (a new tmpfs): no makedirs, its stat and its FileExistsError
        os.makedirs(_d, exist_ok=True)
    # What open(_p, 'w', encoding='utf-8').write() writes, without the io objects around it.
    _fd = os.open(_p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        _b = memoryview(_f['content'].encode('utf-8'))
        while _b:
            _b = _b[os.write(_fd, _b):]
    finally:
        os.close(_fd)
    if _f['name'] == _spec['main']:
        _src = _f['content']
_main = os.path.join('/work', _spec['main'])
sys.argv = [_main] + _spec['args']
sys.path.insert(0, '/work')
if _src is None:
    with open(_main, encoding='utf-8') as _fh:
        _src = _fh.read()
else:
    # What reading the file just written back in text mode gives (universal newlines), without the read.
    _src = _src.replace('\r\n', '\n').replace('\r', '\n')
_code = compile(_src, _main, 'exec')
_globals = {'__name__': '__main__', '__file__': _main, '__builtins__': __builtins__, '__doc__': None, '__spec__': None, '__package__': None}
del _spec, _f, _p, _d, _fd, _b, _src, _m


def _conveyor_exit(code, sig=0):
    # What interpreter shutdown does that a program can observe (non-daemon
    # threads joined, atexit handlers, buffers flushed), without the rest of
    # finalization (module teardown, GC of every object): a few ms per run.
    _threading = sys.modules.get('threading')
    if _threading is not None:
        _threading._shutdown()
    import atexit
    atexit._run_exitfuncs()
    for _s in (sys.stdout, sys.stderr):
        try:
            _s.flush()
        except Exception:
            code = code or 120
    if sig:
        # As CPython does after an unhandled KeyboardInterrupt: die of the signal, so the parent sees it.
        import signal as _signal
        _signal.signal(sig, _signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(code)


try:
    exec(_code, _globals)
except SystemExit as _e:
    if _e.code is None or isinstance(_e.code, int):
        _conveyor_exit(_e.code or 0)
    # Any other code (sys.exit("message")) as CPython reports it: its str on stderr, then status 1. Raised
    # on, it reached a forked run's runtime (python_zygote.py), which printed a traceback of its own frames.
    try:
        print(_e.code, file=sys.stderr)
    except Exception:
        pass
    _conveyor_exit(1)
except BaseException as _e:
    # Hide this bootstrap's frame: the traceback starts in the user's file.
    traceback.print_exception(type(_e), _e, _e.__traceback__.tb_next)
    _conveyor_exit(1, 2 if isinstance(_e, KeyboardInterrupt) else 0)
_conveyor_exit(0)
