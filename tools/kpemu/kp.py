"""Key Protect's core, shared by every KP handler: request bodies, key
lookup (by id or alias, within the X-Kms-Key-Ring), the key
representation, and the durable commit of a changed key."""

import json

from .state import KeyIndex
from .wire import KEY_TYPE, KPError, Unauthorized, b64d, iso

RESTORE_WINDOW = 30 * 86400
PURGE_GATE = 4 * 3600
DUAL_AUTH_WINDOW = 7 * 86400

ACTIVE, SUSPENDED, DEACTIVATED, DESTROYED = 1, 2, 3, 5


class KeyProtect:
    def __init__(self, store, settings, iam):
        self.store = store
        self.settings = settings
        self.iam = iam
        self.index = KeyIndex(store.data["keys"])

    @property
    def data(self):
        return self.store.data

    @property
    def relax(self):
        return self.settings.relax

    def now(self):
        return self.settings.now()

    def authorize(self, req):
        """The bearer token and the Bluemix-Instance header."""
        req.claims = self.iam.check_token(req)
        inst = req.h("Bluemix-Instance")
        if not inst or inst.strip() != self.data["instance"]:
            raise Unauthorized()

    # ---- request bodies
    def json_body(self, req, required=False,
                  context="Action could not be performed on key"):
        if not req.body.strip():
            if required:
                raise KPError(400, "NO_BODY_ERR", context)
            return None
        try:
            return json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise KPError(400, "BAD_BODY_ERR", context)

    def check_fields(self, obj, allowed, context):
        if not isinstance(obj, dict):
            raise KPError(400, "BAD_BODY_ERR", context,
                          "Invalid body data was passed: json: cannot unmarshal "
                          "into an object")
        if self.settings.strict:
            for k in obj:
                if k not in allowed:
                    raise KPError(400, "BAD_BODY_ERR", context,
                                  'Invalid body data was passed: json: unknown field "%s"' % k)

    def envelope_body(self, req, context, res_fields, required=True):
        """The one resource of a {metadata, resources} request body."""
        obj = self.json_body(req, required=required, context=context)
        if obj is None:
            return None
        self.check_fields(obj, ("metadata", "resources"), context)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta:
            raise KPError(400, "BAD_BODY_ERR", context,
                          "Invalid body data was passed: CollectionMetadata is empty")
        self.check_fields(meta, ("collectionType", "collectionTotal"), context)
        res = obj.get("resources")
        if not isinstance(res, list) or not res:
            raise KPError(400, "NUM_COLLECTION_RESOURCE_ERR", context,
                          "The number of resources must be exactly 1")
        if len(res) != 1:
            raise KPError(400, "BAD_BODY_ERR", context,
                          "Invalid body data was passed: Only creation of one "
                          "key per request is supported")
        tot = meta.get("collectionTotal")
        if tot is not None and tot != len(res):
            raise KPError(400, "COLLECTION_TOTAL_MISMATCH_ERR", context)
        r = res[0]
        self.check_fields(r, res_fields, context)
        return r

    # ---- keys
    def refresh_state(self, k):
        if k["state"] == ACTIVE and k["expires"] is not None \
                and self.now() >= k["expires"]:
            k["state"] = DEACTIVATED

    def find_key(self, req, ident, context="Key could not be retrieved"):
        keys = self.data["keys"]
        k = keys.get(ident)
        if k is None:
            k = self.by_alias(ident)
        ring = req.h("X-Kms-Key-Ring")
        if k is None or (ring and ring != k["keyRingID"]):
            raise KPError(404, "KEY_NOT_FOUND_ERR", context,
                          "Key does not exist")
        self.refresh_state(k)
        return k

    def by_alias(self, alias):
        keys = self.data["keys"]
        owners = self.index.aliased(alias)
        if len(owners) == 1:
            return keys[next(iter(owners))]
        if owners:
            # only a hand-made state file has an alias twice
            for cand in keys.values():
                if alias in cand["aliases"]:
                    return cand
        return None

    def live_key(self, req, ident, context):
        """find_key(), and 410 when the key is deleted."""
        k = self.find_key(req, ident, context)
        if k["deleted"] is not None:
            raise KPError(410, "KEY_DELETED_ERR", context)
        return k

    def who(self, req):
        return (req.claims or {}).get("iam_id", "unknown")

    def touch(self, k):
        k["updated"] = self.now()

    def save(self, k, touch=True):
        """k changed: its last update time, then durably."""
        if touch:
            self.touch(k)
        self.store.commit(put=[k])

    # ---- representation
    def crn(self, kid):
        return "crn:v1:bluemix:public:kms:%s:a/%s:%s:key:%s" % (
            self.data["region"], self.data["account"], self.data["instance"], kid)

    def key_repr(self, k, payload=False):
        latest = k["versions"][-1]
        bits = 8 * len(b64d(latest["material"])) if not k["extractable"] else 256
        r = {
            "type": KEY_TYPE, "id": k["id"], "name": k["name"],
            "state": k["state"], "extractable": k["extractable"],
            "crn": self.crn(k["id"]), "imported": k["imported"],
            "keyRingID": k["keyRingID"],
            "creationDate": iso(k["created"]), "createdBy": k["createdBy"],
            "algorithmType": "AES",
            "algorithmMetadata": {"bitLength": str(bits), "mode": "Deprecated"},
            "algorithmBitSize": bits,
            "algorithmMode": "Deprecated",
            "keyVersion": {"id": latest["id"], "creationDate": iso(latest["created"])},
            "dualAuthDelete": {"enabled": k["dual_auth"]},
            "deleted": k["deleted"] is not None,
        }
        if k["dual_auth"] and k["dual_auth_set"]:
            r["dualAuthDelete"]["keySetForDeletion"] = True
            r["dualAuthDelete"]["authExpiration"] = iso(k["dual_auth_set"]
                                                        + DUAL_AUTH_WINDOW)
        self.optional_fields(k, r)
        if k["deleted"] is not None:
            self.deletion_fields(k, r)
        if payload and k["extractable"]:
            r["payload"] = latest["material"]
        return r

    @staticmethod
    def optional_fields(k, r):
        if k["description"]:
            r["description"] = k["description"]
        if k["aliases"]:
            r["aliases"] = list(k["aliases"])
        if k["tags"]:
            r["tags"] = list(k["tags"])
        for field, attr in (("expirationDate", "expires"),
                            ("lastUpdateDate", "updated"),
                            ("lastRotateDate", "rotated")):
            if k[attr] is not None:
                r[field] = iso(k[attr])
        if k["rotation_policy"]:
            r["rotation"] = dict(k["rotation_policy"])
        if k["state"] == DEACTIVATED:
            r["nonactiveStateReason"] = 1

    def deletion_fields(self, k, r):
        d, now = k["deleted"], self.now()
        r["deletionDate"] = iso(d)
        r["deletedBy"] = k["deletedBy"]
        r["restoreExpirationDate"] = iso(d + RESTORE_WINDOW)
        r["restoreAllowed"] = now < d + RESTORE_WINDOW
        r["purgeAllowed"] = self.relax or now >= d + PURGE_GATE
        r["purgeAllowedFrom"] = iso(d if self.relax else d + PURGE_GATE)
        r["purgeScheduledOn"] = iso(d + 90 * 86400)


def not_found():
    return KPError(404, "NOT_FOUND_ERR", "Resource could not be found")


def not_allowed():
    return KPError(405, "METHOD_NOT_ALLOWED_ERR", "Method not allowed")
