/* leakwatch._gather: the optional C twin of the version-tag scan (versions.py).
 *
 * coverage.py's model: a pure-Python core and a C core give the same answers; the C one
 * is built where a compiler is found (pyproject.toml: optional = true) and used when it
 * imports. On CPython 3.11 (no dict watchers) every poll reads the version tag of every
 * watched dict; through a memoryview each read makes a Python int (about 60 ns), here it
 * is one load, with the next addresses prefetched so that the cache misses overlap.
 *
 * On 3.12+ it also holds the dict watcher's callback (see log_write below).
 *
 * Three process-wide reads of breadth/surfaces.py are here too (cwd, umask, whether a
 * child process exists): each is one syscall, and through Python it is a function call,
 * two for the umask, and for "no child" a ChildProcessError raised and caught per test.
 * And the process-state probe's "unchanged?" check (same_reads): its ~30 slots read and
 * compared in one call, where the Python loop and its comparisons cost the probe most of
 * its time after a test has evicted them from the cache.
 *
 * Nothing here runs a user's code: the scans read machine words at addresses the caller
 * computed from objects it holds references to (versions.py checks the layout at start-up,
 * against len() and against a write), and same_reads calls only the probe's own readers
 * and compares builtin values they built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifndef _WIN32
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <locale.h>
#endif

#define PREFETCH_AHEAD 8

/* METH_FASTCALL argument checks: the per-test functions below took their arguments
 * through PyArg_ParseTuple, which builds a tuple per call and parses a format string
 * (about a thousand instructions a call, several calls per test). Same errors. */
static int
take_args(const char *name, Py_ssize_t nargs, Py_ssize_t want)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", name, want,
                     nargs);
        return 0;
    }
    return 1;
}

static int
arg_of(const char *name, int position, PyObject *arg, PyTypeObject *type)
{
    if (!PyObject_TypeCheck(arg, type)) {
        PyErr_Format(PyExc_TypeError, "%s() argument %d must be %s, not %.50s", name, position,
                     type->tp_name, Py_TYPE(arg)->tp_name);
        return 0;
    }
    return 1;
}

static int
ssize_arg(PyObject *arg, Py_ssize_t *out)
{
    *out = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    return !(*out == -1 && PyErr_Occurred());
}

PyDoc_STRVAR(words_changed_doc,
"words_changed(addresses, seen) -> list[int]\n\n"
"addresses and seen are buffers of native uint64 ('Q') of the same length. For each i,\n"
"read the 8-byte word at addresses[i]; where it differs from seen[i], store it in\n"
"seen[i] and report i (in increasing order).");

PyDoc_STRVAR(words_differ_doc,
"words_differ(addresses, seen) -> list[int]\n\n"
"words_changed without the store: the positions i where the word at addresses[i] differs\n"
"from seen[i], seen left as it is (the graph's phase marks: the poll still has to see\n"
"the change).");

/* The scan of words_changed and words_differ: `store` says whether seen is updated. */
static PyObject *
scan_words(const char *name, PyObject *const *args, Py_ssize_t nargs, int store)
{
    Py_buffer addr_buf, seen_buf;
    PyObject *out = NULL;

    if (!take_args(name, nargs, 2) || PyObject_GetBuffer(args[0], &addr_buf, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &seen_buf, store ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&addr_buf);
        if (store && PyErr_ExceptionMatches(PyExc_BufferError)) {  /* as "w*" said it */
            PyErr_Format(PyExc_TypeError, "%s() argument 2 must be read-write "
                         "bytes-like object, not %.50s", name, Py_TYPE(args[1])->tp_name);
        }
        return NULL;
    }
    if (addr_buf.len != seen_buf.len || addr_buf.len % 8 != 0) {
        PyErr_SetString(PyExc_ValueError, "addresses and seen must be uint64 buffers of one length");
        goto done;
    }
    out = PyList_New(0);
    if (out == NULL) {
        goto done;
    }
    {
        const Py_ssize_t n = addr_buf.len / 8;
        const unsigned char *addr_bytes = (const unsigned char *)addr_buf.buf;
        unsigned char *seen_bytes = (unsigned char *)seen_buf.buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t address, word, seen;
            if (i + PREFETCH_AHEAD < n) {
                uint64_t ahead;
                memcpy(&ahead, addr_bytes + 8 * (i + PREFETCH_AHEAD), 8);
#if defined(__GNUC__) || defined(__clang__)
                __builtin_prefetch((const void *)(uintptr_t)ahead, 0, 0);
#endif
            }
            memcpy(&address, addr_bytes + 8 * i, 8);
            memcpy(&word, (const void *)(uintptr_t)address, 8);
            memcpy(&seen, seen_bytes + 8 * i, 8);
            if (word != seen) {
                PyObject *index;
                if (store) {
                    memcpy(seen_bytes + 8 * i, &word, 8);
                }
                index = PyLong_FromSsize_t(i);
                if (index == NULL || PyList_Append(out, index) < 0) {
                    Py_XDECREF(index);
                    Py_CLEAR(out);
                    goto done;
                }
                Py_DECREF(index);
            }
        }
    }
done:
    PyBuffer_Release(&addr_buf);
    PyBuffer_Release(&seen_buf);
    return out;
}

static PyObject *
words_changed(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return scan_words("words_changed", args, nargs, 1);
}

static PyObject *
words_differ(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return scan_words("words_differ", args, nargs, 0);
}

PyDoc_STRVAR(bump_tag_doc,
"bump_tag(d, offset) -> int\n\n"
"The process-wide dict version counter now (versions.VersionTags.marker): write the\n"
"private dict d (its key 0 flips between True and False, so that every call is a\n"
"modification) and read the 8-byte word at id(d) + offset, its version tag. No\n"
"allocation and no Python frame: this runs at every test's phase boundaries.");

static PyObject *
bump_tag(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *dict, *key, *now;
    Py_ssize_t offset;
    uint64_t word;

    if (!take_args("bump_tag", nargs, 2) || !arg_of("bump_tag", 1, args[0], &PyDict_Type)
            || !ssize_arg(args[1], &offset)) {
        return NULL;
    }
    dict = args[0];
    key = PyLong_FromLong(0);  /* a small int: cached, no allocation */
    if (key == NULL) {
        return NULL;
    }
    now = PyDict_GetItemWithError(dict, key);
    if (now == NULL && PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    if (PyDict_SetItem(dict, key, now == Py_True ? Py_False : Py_True) < 0) {
        Py_DECREF(key);
        return NULL;
    }
    Py_DECREF(key);
    memcpy(&word, (const char *)dict + offset, 8);
    return PyLong_FromUnsignedLongLong(word);
}

PyDoc_STRVAR(dict_same_doc,
"dict_same(d, snapshot) -> bool\n\n"
"Whether the exact dicts d and snapshot hold the same key objects, in the same order,\n"
"bound to the same value objects: identity only (no key is hashed or compared, so no\n"
"user __eq__ or __hash__ runs), and no copy is made. graph._diff_dict asks it first: a\n"
"watched dict that a test wrote and put back (monkeypatch, patch) is then not copied.\n"
"False only says \"look closer\" (a key moved to the end after a delete reads as False).");

static PyObject *
dict_same(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *d, *snapshot;
    Py_ssize_t i = 0, j = 0;
    PyObject *k1, *v1, *k2, *v2;

    if (!take_args("dict_same", nargs, 2) || !arg_of("dict_same", 1, args[0], &PyDict_Type)
            || !arg_of("dict_same", 2, args[1], &PyDict_Type)) {
        return NULL;
    }
    d = args[0];
    snapshot = args[1];
    if (!PyDict_CheckExact(d) || !PyDict_CheckExact(snapshot)) {
        Py_RETURN_FALSE;
    }
    if (PyDict_GET_SIZE(d) != PyDict_GET_SIZE(snapshot)) {
        Py_RETURN_FALSE;
    }
    while (PyDict_Next(d, &i, &k1, &v1)) {
        if (!PyDict_Next(snapshot, &j, &k2, &v2) || k1 != k2 || v1 != v2) {
            Py_RETURN_FALSE;
        }
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(log_hits_doc,
"log_hits(log, start, index, n) -> list[int]\n\n"
"The dict watcher's log read from start (versions._WatchBatch.changed): for each address\n"
"in log[start:] that index maps to a position (0 <= position < n), that position; each\n"
"once, in increasing order. Addresses index does not hold are other batches' dicts.");

static int
compare_positions(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static PyObject *
log_hits(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *log, *index, *out = NULL;
    Py_ssize_t start, n, size, found = 0, hits = 0;
    Py_ssize_t *positions;

    if (!take_args("log_hits", nargs, 4) || !arg_of("log_hits", 1, args[0], &PyList_Type)
            || !ssize_arg(args[1], &start) || !arg_of("log_hits", 3, args[2], &PyDict_Type)
            || !ssize_arg(args[3], &n)) {
        return NULL;
    }
    log = args[0];
    index = args[2];
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must not be negative");
        return NULL;
    }
    size = PyList_GET_SIZE(log);
    if (start < 0) {
        start = 0;
    }
    if (start >= size) {
        return PyList_New(0);  /* nothing written since: the usual poll allocates nothing */
    }
    /* The positions found, sorted and made unique: a few per poll. A table of n flags
     * (calloc'd and scanned at each poll) cost a 1.6 KB clear per poll at 200 modules. */
    positions = (Py_ssize_t *)PyMem_Malloc((size_t)(size - start) * sizeof(Py_ssize_t));
    if (positions == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = start; i < size; i++) {
        PyObject *position = PyDict_GetItemWithError(index, PyList_GET_ITEM(log, i));
        Py_ssize_t at;
        if (position == NULL) {
            if (PyErr_Occurred()) {
                goto done;
            }
            continue;
        }
        at = PyLong_AsSsize_t(position);
        if (at == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (at < 0 || at >= n) {
            PyErr_SetString(PyExc_ValueError, "index positions must be in range(n)");
            goto done;
        }
        positions[found++] = at;
    }
    if (found > 1) {
        qsort(positions, (size_t)found, sizeof(Py_ssize_t), compare_positions);
    }
    for (Py_ssize_t k = 0; k < found; k++) {
        if (k == 0 || positions[k] != positions[k - 1]) {
            positions[hits++] = positions[k];
        }
    }
    out = PyList_New(hits);
    if (out == NULL) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < hits; k++) {
        PyObject *item = PyLong_FromSsize_t(positions[k]);
        if (item == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, k, item);
    }
done:
    PyMem_Free(positions);
    return out;
}

#if PY_VERSION_HEX >= 0x030C0000
/* CPython 3.12+: the dict watcher's callback in C. Through ctypes each write to a watched
 * dict cost a ctypes callback into Python (several µs); here it is one append of the
 * dict's address (the value id() gives) to the log list versions.py reads. Nothing else
 * is done, no exception is ever left set, and the write always goes on. */
static PyObject *watch_log = NULL;
static int watcher_id = -1;

static int
log_write(PyDict_WatchEvent event, PyObject *dict, PyObject *key, PyObject *new_value)
{
    PyObject *address, *pending;
    if (watch_log == NULL) {
        return 0;
    }
    /* A dict can be written or freed while an exception propagates: keep it aside, and
     * put it back untouched whatever happens here. */
    pending = PyErr_GetRaisedException();
    address = PyLong_FromVoidPtr((void *)dict);
    if (address == NULL) {
        PyErr_Clear();
    }
    else {
        if (PyList_Append(watch_log, address) < 0) {
            PyErr_Clear();
        }
        Py_DECREF(address);
    }
    PyErr_SetRaisedException(pending);
    return 0;
}

static PyObject *
add_watcher(PyObject *self, PyObject *log)
{
    if (!PyList_CheckExact(log)) {
        PyErr_SetString(PyExc_TypeError, "the log must be a list");
        return NULL;
    }
    if (watcher_id >= 0) {
        PyErr_SetString(PyExc_RuntimeError, "leakwatch's dict watcher is already installed");
        return NULL;
    }
    watcher_id = PyDict_AddWatcher(log_write);
    if (watcher_id < 0) {
        return NULL;
    }
    Py_INCREF(log);
    watch_log = log;
    return PyLong_FromLong(watcher_id);
}

static int
watcher_arg(PyObject *arg, int *wid)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (value < INT_MIN || value > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "watcher id out of range");
        return 0;
    }
    *wid = (int)value;
    return 1;
}

static PyObject *
watch(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int wid;
    if (!take_args("watch", nargs, 2) || !arg_of("watch", 2, args[1], &PyDict_Type)) {
        return NULL;
    }
    if (!watcher_arg(args[0], &wid)) {
        return NULL;
    }
    if (PyDict_Watch(wid, args[1]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
unwatch(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int wid;
    if (!take_args("unwatch", nargs, 2) || !arg_of("unwatch", 2, args[1], &PyDict_Type)) {
        return NULL;
    }
    if (!watcher_arg(args[0], &wid)) {
        return NULL;
    }
    if (PyDict_Unwatch(wid, args[1]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
clear_watcher(PyObject *self, PyObject *unused)
{
    if (watcher_id >= 0) {
        if (PyDict_ClearWatcher(watcher_id) < 0) {
            PyErr_Clear();
        }
        watcher_id = -1;
    }
    Py_CLEAR(watch_log);
    Py_RETURN_NONE;
}
#endif

#ifndef _WIN32
/* The last text a reader gave and its Python str: read per test, it is the same text in
 * almost every test. The same str object is then returned (no decoding, no allocation),
 * and the quiet check's comparison with the value it expects is an identity. */
typedef struct {
    char *raw;
    PyObject *text;
} text_cache;

static void
text_cache_clear(text_cache *cache)
{
    PyMem_RawFree(cache->raw);
    cache->raw = NULL;
    Py_CLEAR(cache->text);
}

static PyObject *
decode_locale(const char *raw)
{
    return PyUnicode_DecodeLocale(raw, NULL);
}

static PyObject *
same_text(text_cache *cache, const char *raw, PyObject *(*decode)(const char *))
{
    PyObject *text;
    size_t size;
    char *copy;
    if (cache->text != NULL && strcmp(cache->raw, raw) == 0) {
        return Py_NewRef(cache->text);
    }
    text = decode(raw);
    if (text == NULL) {
        return NULL;
    }
    size = strlen(raw) + 1;
    copy = (char *)PyMem_RawMalloc(size);
    if (copy != NULL) {  /* no memory for the copy: still the right answer, uncached */
        memcpy(copy, raw, size);
        text_cache_clear(cache);
        cache->raw = copy;
        cache->text = Py_NewRef(text);
    }
    return text;
}

static text_cache cwd_cache = {NULL, NULL};

PyDoc_STRVAR(getcwd_doc,
"getcwd() -> str\n\n"
"os.getcwd(), or '<deleted>' where it fails (the directory was removed under us).");

static PyObject *
native_getcwd(PyObject *self, PyObject *unused)
{
    char small[1024];
    size_t size = sizeof(small);
    char *buf = small;
    PyObject *out;

    for (;;) {
        if (getcwd(buf, size) != NULL) {
            out = same_text(&cwd_cache, buf, PyUnicode_DecodeFSDefault);
            break;
        }
        if (errno != ERANGE || size >= ((size_t)1 << 20)) {
            out = PyUnicode_FromString("<deleted>");  /* as surfaces._cwd: any OSError */
            break;
        }
        size *= 4;
        char *bigger = (char *)PyMem_RawRealloc(buf == small ? NULL : buf, size);
        if (bigger == NULL) {
            if (buf != small) {
                PyMem_RawFree(buf);
            }
            return PyErr_NoMemory();
        }
        buf = bigger;
    }
    if (buf != small) {
        PyMem_RawFree(buf);
    }
    return out;
}

PyDoc_STRVAR(umask_doc,
"umask() -> int\n\n"
"The process umask, read by setting it and putting it back at once (as surfaces._umask).");

static PyObject *
native_umask(PyObject *self, PyObject *unused)
{
    mode_t mask = umask(022);
    umask(mask);
    return PyLong_FromLong((long)mask);
}

PyDoc_STRVAR(has_children_doc,
"has_children() -> bool | None\n\n"
"True when the process has a child (running, or exited and not waited for), False when it\n"
"has none, None when that cannot be told. waitid(WNOHANG | WNOWAIT) only looks.");

static PyObject *
native_has_children(PyObject *self, PyObject *unused)
{
    siginfo_t info;
    int ret;

    memset(&info, 0, sizeof(info));
    do {
        ret = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    } while (ret < 0 && errno == EINTR);
    if (ret == 0) {
        Py_RETURN_TRUE;
    }
    if (errno == ECHILD) {
        Py_RETURN_FALSE;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(locale_names_doc,
"locale_names(categories) -> tuple[str, ...]\n\n"
"Each category's locale name, as _locale.setlocale(category, None) gives it (decoded the\n"
"same way), in one call: surfaces._locale asks for three categories per test.");

#define LOCALE_CACHED 8
static text_cache locale_cache[LOCALE_CACHED];
static PyObject *locale_categories = NULL;

static PyObject *
locale_names(PyObject *self, PyObject *categories)
{
    PyObject *out;
    Py_ssize_t n;

    if (!PyTuple_CheckExact(categories)) {
        PyErr_SetString(PyExc_TypeError, "categories must be a tuple of ints");
        return NULL;
    }
    n = PyTuple_GET_SIZE(categories);
    out = PyTuple_New(n);
    if (out == NULL) {
        return NULL;
    }
    if (categories != locale_categories) {  /* another list of categories: start over */
        for (int c = 0; c < LOCALE_CACHED; c++) {
            text_cache_clear(&locale_cache[c]);
        }
        Py_XSETREF(locale_categories, Py_NewRef(categories));
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long category = PyLong_AsLong(PyTuple_GET_ITEM(categories, i));
        const char *name;
        PyObject *text;
        if (category == -1 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
        name = setlocale((int)category, NULL);
        if (name == NULL) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "unsupported locale setting");  /* as _locale */
            return NULL;
        }
        text = i < LOCALE_CACHED ? same_text(&locale_cache[i], name, decode_locale)
                                 : decode_locale(name);
        if (text == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, text);
    }
    return out;
}
#endif

PyDoc_STRVAR(word_at_doc,
"word_at(address) -> int\n\n"
"The 8-byte word at an address inside an object the caller holds (a dict's version tag,\n"
"its used count): what versions.VersionTags reads per handle, without ctypes.");

static PyObject *
word_at(PyObject *self, PyObject *arg)
{
    unsigned long long addr = PyLong_AsUnsignedLongLong(arg);
    if (addr == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (addr == 0 || (addr & 7) != 0) {
        PyErr_SetString(PyExc_ValueError, "address must be non-zero and 8-byte aligned");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(*(volatile uint64_t *)(uintptr_t)addr);
}

/* A type's own namespace (the dict behind its mappingproxy): PyType_GetDict on 3.12+, where
 * a static builtin type keeps it per interpreter and tp_dict is NULL; tp_dict before. A new
 * reference, or NULL without an exception when the type has none. */
static PyObject *
type_namespace(PyTypeObject *type)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *ns = PyType_GetDict(type);
#else
    PyObject *ns = type->tp_dict;
    Py_XINCREF(ns);
#endif
    if (ns != NULL && !PyDict_Check(ns)) {
        Py_DECREF(ns);
        return NULL;
    }
    return ns;
}

PyDoc_STRVAR(class_namespace_doc,
"class_namespace(cls) -> dict | None\n\n"
"safe.class_namespace in C: the real dict behind cls.__dict__, None for a non-type.\n"
"Read from the type object itself: no descriptor, no metaclass code runs.");

static PyObject *
class_namespace(PyObject *self, PyObject *cls)
{
    PyObject *ns;
    if (!PyType_Check(cls)) {
        Py_RETURN_NONE;
    }
    ns = type_namespace((PyTypeObject *)cls);
    if (ns == NULL) {
        Py_RETURN_NONE;
    }
    return ns;
}

PyDoc_STRVAR(instance_dict_doc,
"instance_dict(obj) -> dict | None\n\n"
"safe.instance_dict in C: the first '__dict__' in the namespaces of type(obj)'s MRO\n"
"(tp_mro, as type.__mro__ gives it), called when it is a C getset descriptor (what\n"
"descr.__get__(obj, klass) does); None when there is none, when it is anything else (a\n"
"property would be user code), when the getter fails, or when it gives no exact dict.\n"
"Python version: seven Python-level namespace reads for a MagicMock, each a\n"
"gc.get_referents call; here one pass over the MRO.");

static PyObject *
instance_dict(PyObject *self, PyObject *obj)
{
    static PyObject *name = NULL;
    PyObject *mro, *result = NULL;
    Py_ssize_t i, n;
    if (name == NULL) {
        name = PyUnicode_InternFromString("__dict__");
        if (name == NULL) {
            return NULL;
        }
    }
    mro = Py_TYPE(obj)->tp_mro;
    if (mro == NULL || !PyTuple_Check(mro)) {
        Py_RETURN_NONE;
    }
    Py_INCREF(mro);  /* held while we walk: a getter cannot free it under us */
    n = PyTuple_GET_SIZE(mro);
    for (i = 0; i < n; i++) {
        PyObject *klass = PyTuple_GET_ITEM(mro, i);
        PyObject *ns, *descr;
        descrgetfunc get;
        if (!PyType_Check(klass)) {
            continue;
        }
        ns = type_namespace((PyTypeObject *)klass);
        if (ns == NULL) {
            continue;
        }
        descr = PyDict_GetItemWithError(ns, name);  /* borrowed */
        if (descr == NULL) {
            Py_DECREF(ns);
            if (PyErr_Occurred()) {
                goto failed;
            }
            continue;
        }
        Py_INCREF(descr);
        Py_DECREF(ns);
        get = Py_TYPE(descr)->tp_descr_get;
        if (!Py_IS_TYPE(descr, &PyGetSetDescr_Type) || get == NULL) {
            Py_DECREF(descr);
            break;  /* not a C getset: None */
        }
        result = get(descr, obj, klass);
        Py_DECREF(descr);
        if (result == NULL) {
            goto failed;
        }
        if (!PyDict_CheckExact(result)) {
            Py_CLEAR(result);
        }
        break;
    }
    Py_DECREF(mro);
    if (result == NULL) {
        Py_RETURN_NONE;
    }
    return result;
failed:
    Py_DECREF(mro);
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        return NULL;  /* KeyboardInterrupt and the like go on, as in the Python version */
    }
    PyErr_Clear();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(untracked_doc,
"untracked(snapshot) -> snapshot\n\n"
"Take one of leakwatch's own snapshot copies (an exact dict, list or set, or a tuple\n"
"such as changes.SeqState) out of the garbage collector's lists, and return it. The\n"
"watch graph keeps a copy of every watched dict and list (1,600 dicts and 600 lists at\n"
"200 modules): each full collection traversed them all, a third more references than\n"
"the suite's own. They are private, reached only from our nodes, and nothing refers\n"
"back to them, so they are never part of a cycle; the objects they hold stay alive\n"
"as long as the copy does, collected or not. Anything else is returned untouched.");

static PyObject *
untracked(PyObject *self, PyObject *obj)
{
    if ((PyDict_CheckExact(obj) || PyList_CheckExact(obj) || PySet_CheckExact(obj)
         || PyTuple_Check(obj)) && PyObject_GC_IsTracked(obj)) {
        PyObject_GC_UnTrack(obj);
    }
    return Py_NewRef(obj);
}

PyDoc_STRVAR(private_doc,
"private(obj) -> obj\n\n"
"Take one of leakwatch's own bookkeeping objects (the watch graph's nodes, the version\n"
"cores' tags: slotted instances, 2,200 and 1,600 at 200 modules) out of the garbage\n"
"collector's lists, and return it. Nothing outside leakwatch refers to them and they\n"
"refer to no other node or tag, so they are never part of a cycle; what they hold (a\n"
"watched dict, a class) stays alive as long as they do, collected or not. Each full\n"
"collection traversed them all, and the young collections while the graph was built\n"
"(~4.6 M of the ~62 M instructions of building it at 200 modules). Only for objects of\n"
"leakwatch's own classes: see untracked() for the snapshots.");

static PyObject *
private(PyObject *self, PyObject *obj)
{
    if (PyObject_GC_IsTracked(obj)) {
        PyObject_GC_UnTrack(obj);
    }
    return Py_NewRef(obj);
}

PyDoc_STRVAR(decimal_fields_doc,
"decimal_fields(getcontext, context_type) -> tuple\n\n"
"What surfaces._decimal reads, in one call: the current decimal context's prec, rounding,\n"
"Emin, Emax, capitals and clamp when it is exactly context_type (its own getset\n"
"descriptors, no user code), else ('<custom context>', id(context)).");

static PyObject *
decimal_fields(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    static const char *names[] = {"prec", "rounding", "Emin", "Emax", "capitals", "clamp"};
    /* Interned once: a name made anew at each read misses the type's attribute cache. */
    static PyObject *interned[6] = {NULL};
    PyObject *getcontext, *context_type, *ctx, *out;

    if (!take_args("decimal_fields", nargs, 2)) {
        return NULL;
    }
    getcontext = args[0];
    context_type = args[1];
    if (interned[5] == NULL) {
        for (Py_ssize_t i = 0; i < 6; i++) {
            if (interned[i] == NULL && (interned[i] = PyUnicode_InternFromString(names[i])) == NULL) {
                return NULL;
            }
        }
    }
    ctx = PyObject_CallNoArgs(getcontext);
    if (ctx == NULL) {
        return NULL;
    }
    if ((PyObject *)Py_TYPE(ctx) != context_type) {
        out = Py_BuildValue("(sN)", "<custom context>", PyLong_FromVoidPtr(ctx));
        Py_DECREF(ctx);
        return out;
    }
    out = PyTuple_New(6);
    if (out == NULL) {
        Py_DECREF(ctx);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < 6; i++) {
        PyObject *value = PyObject_GetAttr(ctx, interned[i]);
        if (value == NULL) {
            Py_DECREF(out);
            Py_DECREF(ctx);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, value);
    }
    Py_DECREF(ctx);
    return out;
}

PyDoc_STRVAR(same_reads_doc,
"same_reads(sources, modes, expected, states) -> bool\n\n"
"The process-state slots' \"unchanged?\" check in one call (breadth/surfaces.SlotProbe).\n"
"For each i, read a value: sources[i] is a (dict, key) pair (a module attribute, looked up\n"
"in the module's dict: no descriptor runs) or a callable (called with no arguments, as the\n"
"Python probe calls it). Compare it with expected[i] by modes[i]: 'i' identity, 'e' ==\n"
"(the readers build builtin values: no user __eq__), 's' identity and, for an exact list,\n"
"its items by identity against the tuple states[i]; 'w': sources[i] is an address (a\n"
"dict's version tag word, computed from a dict the caller holds), read as a uint64 and\n"
"compared with the int expected[i]; 'm': sources[i] is a (fn, args) pair, and fn(arg) for\n"
"each arg is compared by identity with the item of the tuple expected[i]. False at the\n"
"first difference (the caller then reads\n"
"every slot in Python and reports what changed), or when a key is gone.");

static PyObject *
same_reads(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *sources, *expected, *states;
    const char *modes;
    Py_ssize_t n_modes;

    if (!take_args("same_reads", nargs, 4) || !arg_of("same_reads", 1, args[0], &PyTuple_Type)
            || !arg_of("same_reads", 2, args[1], &PyBytes_Type)
            || !arg_of("same_reads", 3, args[2], &PyTuple_Type)
            || !arg_of("same_reads", 4, args[3], &PyTuple_Type)) {
        return NULL;
    }
    sources = args[0];
    modes = PyBytes_AS_STRING(args[1]);
    n_modes = PyBytes_GET_SIZE(args[1]);
    expected = args[2];
    states = args[3];
    const Py_ssize_t n = PyTuple_GET_SIZE(sources);
    if (n_modes != n || PyTuple_GET_SIZE(expected) != n || PyTuple_GET_SIZE(states) != n) {
        PyErr_SetString(PyExc_ValueError, "sources, modes, expected and states differ in length");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *source = PyTuple_GET_ITEM(sources, i);
        PyObject *want = PyTuple_GET_ITEM(expected, i);
        PyObject *value;
        int same;

        if (modes[i] == 'w') {
            /* A machine word (a dict's version tag, a length) at an address the caller
             * computed from an object it holds: compared with the int expected[i]. */
            void *address = PyLong_AsVoidPtr(source);
            unsigned long long want_word;
            uint64_t word;
            if (address == NULL) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_ValueError, "a 'w' source must be a non-zero address");
                }
                return NULL;
            }
            want_word = PyLong_AsUnsignedLongLong(want);
            if (want_word == (unsigned long long)-1 && PyErr_Occurred()) {
                return NULL;
            }
            memcpy(&word, address, 8);
            if ((unsigned long long)word != want_word) {
                Py_RETURN_FALSE;
            }
            continue;
        }
        if (modes[i] == 'm') {
            /* (fn, args): fn(arg) for each arg (one entry for a probe's readers of the
             * same kind, such as the signal handlers), each compared by identity with
             * the item of the tuple expected[i]. */
            PyObject *fn, *items;
            Py_ssize_t m;
            if (!PyTuple_CheckExact(source) || PyTuple_GET_SIZE(source) != 2
                    || !PyTuple_CheckExact(PyTuple_GET_ITEM(source, 1)) || !PyTuple_CheckExact(want)) {
                PyErr_SetString(PyExc_ValueError,
                                "an 'm' source is a (callable, tuple) pair, its expected a tuple");
                return NULL;
            }
            fn = PyTuple_GET_ITEM(source, 0);
            items = PyTuple_GET_ITEM(source, 1);
            m = PyTuple_GET_SIZE(items);
            if (PyTuple_GET_SIZE(want) != m) {
                Py_RETURN_FALSE;
            }
            for (Py_ssize_t j = 0; j < m; j++) {
                value = PyObject_CallOneArg(fn, PyTuple_GET_ITEM(items, j));
                if (value == NULL) {
                    return NULL;
                }
                same = value == PyTuple_GET_ITEM(want, j);
                Py_DECREF(value);
                if (!same) {
                    Py_RETURN_FALSE;
                }
            }
            continue;
        }
        if (PyTuple_CheckExact(source) && PyTuple_GET_SIZE(source) == 2
                && PyDict_CheckExact(PyTuple_GET_ITEM(source, 0))) {
            value = PyDict_GetItemWithError(PyTuple_GET_ITEM(source, 0), PyTuple_GET_ITEM(source, 1));
            if (value == NULL) {
                if (PyErr_Occurred()) {
                    return NULL;
                }
                Py_RETURN_FALSE;
            }
            Py_INCREF(value);
        }
        else {
            value = PyObject_CallNoArgs(source);
            if (value == NULL) {
                return NULL;
            }
        }
        switch (modes[i]) {
        case 'i':
            same = value == want;
            break;
        case 'e':
            same = PyObject_RichCompareBool(value, want, Py_EQ);
            break;
        case 's':
            same = value == want;
            if (same && PyList_CheckExact(value)) {
                PyObject *state = PyTuple_GET_ITEM(states, i);
                Py_ssize_t size = PyList_GET_SIZE(value);
                same = PyTuple_Check(state) && PyTuple_GET_SIZE(state) == size;
                for (Py_ssize_t j = 0; same && j < size; j++) {
                    same = PyList_GET_ITEM(value, j) == PyTuple_GET_ITEM(state, j);
                }
            }
            else if (same) {
                same = value == PyTuple_GET_ITEM(states, i);
            }
            break;
        default:
            Py_DECREF(value);
            PyErr_Format(PyExc_ValueError, "unknown mode %c", modes[i]);
            return NULL;
        }
        Py_DECREF(value);
        if (same < 0) {
            return NULL;
        }
        if (!same) {
            Py_RETURN_FALSE;
        }
    }
    Py_RETURN_TRUE;
}

/* Passthrough: a wrapt wrapper function (wrapper(wrapped, instance, args, kwargs)) in front
 * of one of interceptors.py's Python wrappers, for the calls that need nothing of it: those
 * go straight to the wrapped function here, without the Python wrapper's frame; every other
 * call goes to `slow`, the Python wrapper, with the same four arguments. A call passes when
 *
 *  - key: its first argument is exactly the str `key` (or the bytes `key_bytes`, for
 *    os.environb). pytest writes PYTEST_CURRENT_TEST three times per test and deletes it
 *    once (a read first, through MutableMapping.pop). Keys are compared only when they are
 *    exactly str or bytes: no user __eq__ runs;
 *  - idle: the dict `idle` is empty (importlib's table of module locks: no module body is
 *    being imported anywhere, so an os.environ read records nothing);
 *  - caller_file: the Python frame that made the call runs code of the file `caller_file`
 *    (pytest's monkeypatch.py: the monkeypatch fixture's MonkeyPatch(), which pytest undoes).
 *    wrapt and this object add no Python frame, so the current frame is the caller's. */
typedef struct {
    PyObject_HEAD
    PyObject *slow;
    PyObject *key;          /* str or NULL */
    PyObject *key_bytes;    /* bytes or NULL */
    PyObject *idle;         /* dict or NULL */
    PyObject *caller_file;  /* str or NULL */
    vectorcallfunc vectorcall;
} PassthroughObject;

static int
passthrough_key_matches(PassthroughObject *self, PyObject *key)
{
    if (self->key != NULL && PyUnicode_CheckExact(key)) {
        return key == self->key
            || (PyUnicode_GET_LENGTH(key) == PyUnicode_GET_LENGTH(self->key)
                && PyUnicode_Compare(key, self->key) == 0);
    }
    if (self->key_bytes != NULL && PyBytes_CheckExact(key)) {
        Py_ssize_t n = PyBytes_GET_SIZE(key);
        return n == PyBytes_GET_SIZE(self->key_bytes)
            && memcmp(PyBytes_AS_STRING(key), PyBytes_AS_STRING(self->key_bytes), (size_t)n) == 0;
    }
    return 0;
}

static int
passthrough_caller_matches(PassthroughObject *self)
{
    PyFrameObject *frame = PyEval_GetFrame();  /* borrowed */
    PyCodeObject *code;
    PyObject *filename;
    int same;
    if (frame == NULL) {
        return 0;
    }
    code = PyFrame_GetCode(frame);  /* new reference */
    filename = code->co_filename;
    same = filename == self->caller_file
        || (PyUnicode_CheckExact(filename)
            && PyUnicode_GET_LENGTH(filename) == PyUnicode_GET_LENGTH(self->caller_file)
            && PyUnicode_Compare(filename, self->caller_file) == 0);
    Py_DECREF(code);
    return same;
}

static PyObject *
passthrough_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PassthroughObject *self = (PassthroughObject *)op;
    if (PyVectorcall_NARGS(nargsf) == 4 && kwnames == NULL) {
        PyObject *call_args = args[2], *call_kwargs = args[3];
        int plain_kwargs = call_kwargs == Py_None || PyDict_CheckExact(call_kwargs);
        if (PyTuple_CheckExact(call_args) && plain_kwargs && (
                (self->idle != NULL && PyDict_GET_SIZE(self->idle) == 0)
                || (self->caller_file != NULL && passthrough_caller_matches(self))
                || ((self->key != NULL || self->key_bytes != NULL)
                    && PyTuple_GET_SIZE(call_args) >= 1
                    && (call_kwargs == Py_None || PyDict_GET_SIZE(call_kwargs) == 0)
                    && passthrough_key_matches(self, PyTuple_GET_ITEM(call_args, 0))))) {
            return PyObject_Call(args[0], call_args, call_kwargs == Py_None ? NULL : call_kwargs);
        }
    }
    if (self->slow == NULL) {  /* cleared by the garbage collector (a cycle being freed) */
        PyErr_SetString(PyExc_RuntimeError, "Passthrough: cleared");
        return NULL;
    }
    return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
}

static PyObject *
passthrough_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *slow, *key = NULL, *key_bytes = NULL, *idle = NULL, *caller_file = NULL;
    static char *kwlist[] = {"slow", "key", "key_bytes", "idle", "caller_file", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOOO:Passthrough", kwlist, &slow, &key,
                                     &key_bytes, &idle, &caller_file)) {
        return NULL;
    }
    if (!PyCallable_Check(slow)) {
        PyErr_SetString(PyExc_TypeError, "Passthrough: slow must be callable");
        return NULL;
    }
    /* None is "not given" */
    key = key == Py_None ? NULL : key;
    key_bytes = key_bytes == Py_None ? NULL : key_bytes;
    idle = idle == Py_None ? NULL : idle;
    caller_file = caller_file == Py_None ? NULL : caller_file;
    if ((key != NULL && !PyUnicode_Check(key)) || (key_bytes != NULL && !PyBytes_Check(key_bytes))
            || (idle != NULL && !PyDict_CheckExact(idle))
            || (caller_file != NULL && !PyUnicode_Check(caller_file))) {
        PyErr_SetString(PyExc_TypeError,
                        "Passthrough: key is a str, key_bytes bytes, idle a dict, caller_file a str");
        return NULL;
    }
    PassthroughObject *self = (PassthroughObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->slow = Py_NewRef(slow);
    self->key = Py_XNewRef(key);
    self->key_bytes = Py_XNewRef(key_bytes);
    self->idle = Py_XNewRef(idle);
    self->caller_file = Py_XNewRef(caller_file);
    self->vectorcall = passthrough_vectorcall;
    return (PyObject *)self;
}

static int
passthrough_traverse(PassthroughObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->slow);
    Py_VISIT(self->idle);
    return 0;
}

static int
passthrough_clear(PassthroughObject *self)
{
    Py_CLEAR(self->slow);
    Py_CLEAR(self->idle);
    return 0;
}

static void
passthrough_dealloc(PassthroughObject *self)
{
    PyObject_GC_UnTrack(self);
    passthrough_clear(self);
    Py_CLEAR(self->key);
    Py_CLEAR(self->key_bytes);
    Py_CLEAR(self->caller_file);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
passthrough_get_slow(PassthroughObject *self, void *closure)
{
    return Py_NewRef(self->slow != NULL ? self->slow : Py_None);
}

static PyGetSetDef passthrough_getset[] = {
    {"slow", (getter)passthrough_get_slow, NULL, "the Python wrapper every other call goes to",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PassthroughType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "leakwatch._gather.Passthrough",
    .tp_basicsize = sizeof(PassthroughObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = PyDoc_STR("Passthrough(slow, *, key=None, key_bytes=None, idle=None, "
                        "caller_file=None): a wrapt wrapper that calls the wrapped function "
                        "directly when the call's first argument is exactly key or key_bytes, "
                        "when the dict idle is empty, or when the calling frame's file is "
                        "caller_file; else slow(wrapped, instance, args, kwargs)."),
    .tp_new = passthrough_new,
    .tp_dealloc = (destructor)passthrough_dealloc,
    .tp_traverse = (traverseproc)passthrough_traverse,
    .tp_clear = (inquiry)passthrough_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(PassthroughObject, vectorcall),
    .tp_getset = passthrough_getset,
};

/* An Origin (leakwatch.findings: slots file, line, function) made without a Python frame:
 * allocated and its three slots set, as its __init__ does (a frame per env write and per
 * patch fewer). Anything but a type is called as before. */
static PyObject *
new_origin(PyObject *origin_type, PyObject *file, int line, PyObject *function)
{
    static PyObject *names[3];
    static const char *const texts[3] = {"file", "line", "function"};
    PyObject *obj, *values[3];

    if (!PyType_Check(origin_type)) {
        return PyObject_CallFunction(origin_type, "OiO", file, line, function);
    }
    for (int i = 0; i < 3; i++) {
        if (names[i] == NULL && (names[i] = PyUnicode_InternFromString(texts[i])) == NULL) {
            return NULL;
        }
    }
    obj = ((PyTypeObject *)origin_type)->tp_alloc((PyTypeObject *)origin_type, 0);
    if (obj == NULL) {
        return NULL;
    }
    values[0] = Py_NewRef(file);
    values[1] = PyLong_FromLong(line);
    values[2] = Py_NewRef(function);
    for (int i = 0; i < 3; i++) {
        if (values[i] == NULL || PyObject_SetAttr(obj, names[i], values[i]) < 0) {
            for (int j = i; j < 3; j++) {
                Py_XDECREF(values[j]);
            }
            Py_DECREF(obj);
            return NULL;
        }
        Py_DECREF(values[i]);
    }
    return obj;
}

PyDoc_STRVAR(caller_origin_doc,
"caller_origin(skip, verdicts, verdict_of, which, stop_at_hook, origin) -> origin | None\n\n"
"interceptors.caller_origin's frame walk: from the frame of the Python function that\n"
"called this one, skip frames up; then for each frame, its code's verdict (verdicts, keyed\n"
"by id(code), or verdict_of(code) when it has none yet: a tuple whose item 3 says \"a hook\n"
"call of pluggy's\"); the first frame whose verdict[which] is false gives\n"
"origin(filename, line, name). None when the stack ends, or (stop_at_hook) at the first\n"
"hook call. Reads frames and code objects only: no user code runs. When origin is a\n"
"type, its instance is allocated and its slots file, line and function set without\n"
"calling its __init__ (leakwatch.findings.Origin's does only that).");

static PyObject *
caller_origin(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t skip, which;
    PyObject *verdicts, *verdict_of, *origin_type, *result = NULL;
    int stop_at_hook;
    PyFrameObject *frame;

    if (!take_args("caller_origin", nargs, 6) || !ssize_arg(args[0], &skip)
            || !arg_of("caller_origin", 2, args[1], &PyDict_Type) || !ssize_arg(args[3], &which)) {
        return NULL;
    }
    verdicts = args[1];
    verdict_of = args[2];
    stop_at_hook = PyObject_IsTrue(args[4]);
    origin_type = args[5];
    if (stop_at_hook < 0) {
        return NULL;
    }
    if (which < 1 || which > 2) {
        PyErr_SetString(PyExc_ValueError, "which must be 1 or 2");
        return NULL;
    }
    frame = PyEval_GetFrame();  /* borrowed: the caller's frame */
    Py_XINCREF(frame);
    for (; frame != NULL && skip > 0; skip--) {
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        PyObject *verdict, *owned = NULL;
        PyFrameObject *back;
        int skipped, at_hook;
        /* The file's verdict (every file but pluggy's), else this code object's: the
         * first lookup answers almost every frame, with no int made for the key. */
        verdict = PyDict_GetItemWithError(verdicts, code->co_filename);  /* borrowed */
        if (verdict == NULL && !PyErr_Occurred()) {
            PyObject *key = PyLong_FromVoidPtr(code);
            if (key == NULL) {
                Py_DECREF(code);
                goto done;
            }
            verdict = PyDict_GetItemWithError(verdicts, key);  /* borrowed */
            Py_DECREF(key);
        }
        if (verdict == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(code);
                goto done;
            }
            verdict = owned = PyObject_CallOneArg(verdict_of, (PyObject *)code);
            if (verdict == NULL) {
                Py_DECREF(code);
                goto done;
            }
        }
        if (!PyTuple_Check(verdict) || PyTuple_GET_SIZE(verdict) < 4) {
            PyErr_SetString(PyExc_TypeError, "a verdict is a tuple of 4");
            Py_XDECREF(owned);
            Py_DECREF(code);
            goto done;
        }
        /* A verdict holds bools of _frame_verdict's own making: no user __bool__ runs. */
        skipped = PyObject_IsTrue(PyTuple_GET_ITEM(verdict, which));
        at_hook = stop_at_hook ? PyObject_IsTrue(PyTuple_GET_ITEM(verdict, 3)) : 0;
        if (skipped < 0 || at_hook < 0) {
            Py_XDECREF(owned);
            Py_DECREF(code);
            goto done;
        }
        if (!skipped) {
            int line = PyFrame_GetLineNumber(frame);
            result = new_origin(origin_type, code->co_filename, line, code->co_name);
            Py_XDECREF(owned);
            Py_DECREF(code);
            goto done;
        }
        if (at_hook) {
            Py_XDECREF(owned);
            Py_DECREF(code);
            result = Py_NewRef(Py_None);
            goto done;
        }
        Py_XDECREF(owned);
        Py_DECREF(code);
        back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(frame);
    return result;
}

static PyMethodDef gather_methods[] = {
    {"words_changed", (PyCFunction)(void (*)(void))words_changed, METH_FASTCALL, words_changed_doc},
    {"words_differ", (PyCFunction)(void (*)(void))words_differ, METH_FASTCALL, words_differ_doc},
    {"same_reads", (PyCFunction)(void (*)(void))same_reads, METH_FASTCALL, same_reads_doc},
    {"bump_tag", (PyCFunction)(void (*)(void))bump_tag, METH_FASTCALL, bump_tag_doc},
    {"log_hits", (PyCFunction)(void (*)(void))log_hits, METH_FASTCALL, log_hits_doc},
    {"dict_same", (PyCFunction)(void (*)(void))dict_same, METH_FASTCALL, dict_same_doc},
    {"decimal_fields", (PyCFunction)(void (*)(void))decimal_fields, METH_FASTCALL, decimal_fields_doc},
    {"word_at", word_at, METH_O, word_at_doc},
    {"instance_dict", instance_dict, METH_O, instance_dict_doc},
    {"untracked", untracked, METH_O, untracked_doc},
    {"private", private, METH_O, private_doc},
    {"caller_origin", (PyCFunction)(void (*)(void))caller_origin, METH_FASTCALL, caller_origin_doc},
    {"class_namespace", class_namespace, METH_O, class_namespace_doc},
#ifndef _WIN32
    {"getcwd", native_getcwd, METH_NOARGS, getcwd_doc},
    {"umask", native_umask, METH_NOARGS, umask_doc},
    {"has_children", native_has_children, METH_NOARGS, has_children_doc},
    {"locale_names", locale_names, METH_O, locale_names_doc},
#endif
#if PY_VERSION_HEX >= 0x030C0000
    {"add_watcher", add_watcher, METH_O,
     "add_watcher(log: list) -> int: register the dict watcher that appends to log."},
    {"watch", (PyCFunction)(void (*)(void))watch, METH_FASTCALL, "watch(watcher_id, dict): PyDict_Watch."},
    {"unwatch", (PyCFunction)(void (*)(void))unwatch, METH_FASTCALL, "unwatch(watcher_id, dict): PyDict_Unwatch."},
    {"clear_watcher", clear_watcher, METH_NOARGS, "Unregister the watcher (at exit)."},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef gather_module = {
    PyModuleDef_HEAD_INIT,
    "leakwatch._gather",
    "Optional C twin of leakwatch's version-tag scan (see versions.py).",
    -1,
    gather_methods,
};

PyMODINIT_FUNC
PyInit__gather(void)
{
    if (PyType_Ready(&PassthroughType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&gather_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Passthrough", (PyObject *)&PassthroughType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
