"""Key Protect's key listing: GET and HEAD /api/v2/keys with state,
extractable, filter, search, sort and paging; the paging and totalCount
parameters are shared with the version and key ring lists."""

import re

from .wire import KEY_TYPE, KPError, Resp, envelope, parse_rfc3339

SORT_FIELDS = {
    "id": "id", "state": "state", "extractable": "extractable",
    "imported": "imported", "creationDate": "created",
    "lastUpdateDate": "updated", "lastRotateDate": "rotated",
    "deletionDate": "deleted", "expirationDate": "expires",
}
FILTER_DATES = {
    "creationDate": "created", "deletionDate": "deleted",
    "expirationDate": "expires", "lastRotateDate": "rotated",
    "lastUpdateDate": "updated",
}
LIST_CONTEXT = "Keys could not be listed"


def list_keys(kp, req):
    limit, offset = page_params(req)
    keys, sq = select_keys(kp, req)
    page = keys[offset:offset + limit]
    extra = {}
    if sq is not None:
        extra["searchQuery"] = {"query": sq["query"], "scopes": sq["scopes"],
                                "not": sq["not"], "exact": sq["exact"]}
    extra.update(total_count(req, len(keys)))
    return Resp(200, envelope(KEY_TYPE, [kp.key_repr(k) for k in page], extra))


def count_keys(kp, req):
    keys, _ = select_keys(kp, req)
    return Resp(200, None, headers={"Key-Total": str(len(keys))})


def select_keys(kp, req):
    """The keys the query selects, sorted, and the parsed search."""
    states, extractable, preds = key_filters(req)
    ring = req.h("X-Kms-Key-Ring")
    search = req.q("search")
    sq = parse_search(search) if search is not None else None
    out = []
    for k in candidates(kp, sq):
        kp.refresh_state(k)
        if k["state"] not in states:
            continue
        if extractable is not None and k["extractable"] != extractable:
            continue
        if ring and k["keyRingID"] != ring:
            continue
        if any(not p(k) for p in preds):
            continue
        if sq is not None and not search_match(sq, k):
            continue
        out.append(k)
    out = sort_keys(out, req.q("sort"))
    if sq is not None and not sq["not"]:
        # a full key id (or alias scope) is a direct lookup, returned first
        direct = [k for k in out if k["id"] == sq["query"]]
        if direct:
            out = direct + [k for k in out if k["id"] != sq["query"]]
    return out, sq


def key_filters(req):
    """state, extractable and filter -> (states, extractable, predicates)."""
    q = req.q
    states = extractable = None
    preds = []
    if q("state") is not None:
        states = parse_states(q("state"), "state")
    if q("extractable") is not None:
        extractable = parse_bool(q("extractable"), "extractable")
    if q("filter") is not None:
        fs, fe, preds = parse_filter(q("filter"), states is not None,
                                     extractable is not None)
        states = fs if fs is not None else states
        extractable = fe if fe is not None else extractable
    if states is None:
        states = {0, 1, 2, 3}
    return states, extractable, preds


def candidates(kp, sq):
    keys = kp.data["keys"]
    if sq is not None and sq["exact"] and not sq["not"] and sq["scopes"] == ["name"]:
        # names never change: exact name search uses the index
        return [keys[i] for i in kp.index.named(sq["query"])]
    return keys.values()


def sort_keys(keys, sort):
    keys = sorted(keys, key=lambda k: k["id"])
    if not sort:
        return keys
    for f in reversed(sort.split(",")):
        desc = f.startswith("-")
        attr = SORT_FIELDS.get(f[1:] if desc else f)
        if attr is None:
            raise KPError(400, "INVALID_QUERY_PARAM_ERR", LIST_CONTEXT,
                          "The query_param 'sort' must be: a comma separated "
                          "list of valid sort fields", ("query_param", "sort"))
        present = [k for k in keys if k[attr] is not None]
        missing = [k for k in keys if k[attr] is None]
        present.sort(key=lambda k: k[attr], reverse=desc)
        keys = present + missing
    return keys


def bad_filter(msg):
    return KPError(400, "INVALID_QUERY_PARAM_ERR", LIST_CONTEXT,
                   "The query_param 'filter' must be: " + msg,
                   ("query_param", "filter"))


def parse_filter(filt, have_state, have_extr):
    states = extractable = None
    preds = []
    for term in filt.split():
        if "=" not in term:
            raise bad_filter("space separated prop=value terms")
        prop, val = term.split("=", 1)
        if prop == "state":
            if have_state:
                raise bad_filter("state given both in filter and as a query parameter")
            states = parse_states(val, "filter")
        elif prop == "extractable":
            if have_extr:
                raise bad_filter("extractable given both in filter and as a query parameter")
            extractable = parse_bool(val, "filter")
        elif prop in FILTER_DATES:
            preds.append(date_predicate(FILTER_DATES[prop], val))
        else:
            raise bad_filter("a known property")
    return states, extractable, preds


DATE_OPS = {"eq": lambda x, y: int(x) == int(y), "lt": lambda x, y: x < y,
            "lte": lambda x, y: x <= y, "gt": lambda x, y: x > y,
            "gte": lambda x, y: x >= y}


def date_predicate(attr, val):
    """creationDate=[lt:|lte:|gt:|gte:]"RFC 3339" or =none."""
    op = "eq"
    mo = re.match(r"^(lte|lt|gte|gt):(.*)$", val)
    if mo:
        op, val = mo.group(1), mo.group(2)
    if val == "none":
        if op != "eq":
            raise bad_filter("none only with equality")
        return lambda k: k[attr] is None
    try:
        t = parse_rfc3339(val.strip('"'))
    except ValueError:
        raise bad_filter("RFC 3339 dates in double quotes")
    cmp = DATE_OPS[op]
    return lambda k: k[attr] is not None and cmp(k[attr], t)


def page_params(req, context=LIST_CONTEXT):
    lim = req.q("limit")
    off = req.q("offset")
    limit, offset = 200, 0
    if lim is not None:
        if not re.match(r"^\d+$", lim) or not 1 <= int(lim) <= 5000:
            raise KPError(400, "INVALID_QUERY_PARAM_ERR", context,
                          "The query_param 'limit' must be: an integer between "
                          "1 and 5000 (inclusive)", ("query_param", "limit"))
        limit = int(lim)
    if off is not None:
        if not re.match(r"^\d+$", off):
            raise KPError(400, "INVALID_QUERY_PARAM_ERR", context,
                          "The query_param 'offset' must be: a non-negative integer",
                          ("query_param", "offset"))
        offset = int(off)
    return limit, offset


def total_count(req, n):
    """The totalCount metadata, when the query asks for it."""
    return {"totalCount": n} if req.flag("totalCount") else {}


def parse_states(s, param):
    try:
        st = {int(x) for x in s.split(",")}
        if not st or not st <= {0, 1, 2, 3, 5}:
            raise ValueError
        return st
    except ValueError:
        raise KPError(400, "INVALID_QUERY_PARAM_ERR", LIST_CONTEXT,
                      "The query_param '%s' must be: comma separated states from 0,1,2,3,5" % param,
                      ("query_param", param))


def parse_bool(s, param):
    if s == "true":
        return True
    if s == "false":
        return False
    raise KPError(400, "INVALID_QUERY_PARAM_ERR", LIST_CONTEXT,
                  "The query_param '%s' must be: true or false" % param,
                  ("query_param", param))


def parse_search(s):
    """Prefixes not:, exact:, name:, alias: in any order; escape: ends them."""
    sq = {"not": False, "exact": False, "scopes": []}
    rest = s
    while True:
        for pre in ("not:", "exact:", "name:", "alias:", "escape:"):
            if rest.startswith(pre):
                break
        else:
            break
        rest = rest[len(pre):]
        if pre == "escape:":
            break
        if pre == "not:":
            sq["not"] = True
        elif pre == "exact:":
            sq["exact"] = True
        else:
            sq["scopes"].append(pre[:-1])
    if not sq["scopes"]:
        sq["scopes"] = ["name", "alias"]
    sq["query"] = rest
    return sq


def search_match(sq, k):
    q = sq["query"]
    cands = []
    if "name" in sq["scopes"]:
        cands.append(k["name"])
    if "alias" in sq["scopes"]:
        cands.extend(k["aliases"])
    if sq["exact"]:
        hit = any(c == q for c in cands)
    else:
        ql = q.lower()
        hit = any(ql in c.lower() for c in cands)
    if not sq["not"] and k["id"] == q:
        hit = True
    return hit != sq["not"]


# --------------------------------------------------------------------------
# HTTP transport
#
# One asyncio event loop in one thread serves every connection.  The request
# path is a small HTTP/1.1 parser (keep-alive, pipelining, Content-Length and
# chunked bodies, Expect: 100-continue) that hands a Request to App.handle()
# and writes the answer in one send.  Injected latency and fault delays are
