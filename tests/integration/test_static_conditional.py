"""
Conditional requests on static files (modules/http_not_modified):
If-Modified-Since (if_modified_since off | exact | before), If-None-Match
(weak comparison, lists, "*"), If-Match (strong comparison) and
If-Unmodified-Since (412), their precedence, what a 304 keeps, and the
etag directive. Checked against nginx 1.22 too.
"""

import pytest
import requests

import drover_fixture as df
import static_util as su

LISTENER_OK, LISTENER_REASON = df.listener_probe()
pytestmark = pytest.mark.skipif(not LISTENER_OK,
                                reason=LISTENER_REASON or "n/a")

MTIME = 1700000000
LM = "Tue, 14 Nov 2023 22:13:20 GMT"


@pytest.fixture
def served(drover):
    p = su.write(drover, "f.txt", "0123456789", mtime=MTIME)
    url = su.start(drover)
    return url + "/f.txt", su.etag_of(p)


def _get(url, **headers):
    return requests.get(url, headers=headers)


# ------------------------------------------------------------- If-Modified-Since


def test_ims_equal_is_304(served):
    url, etag = served
    r = _get(url, **{"If-Modified-Since": LM})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == etag
    assert r.headers["Last-Modified"] == LM
    for h in ("Content-Type", "Content-Length", "Accept-Ranges"):
        assert h not in r.headers


def test_ims_default_is_exact(served):
    url, _ = served
    assert _get(url, **{"If-Modified-Since": su.http_date(MTIME - 1)}) \
        .status_code == 200
    assert _get(url, **{"If-Modified-Since": su.http_date(MTIME + 3600)}) \
        .status_code == 200


def test_if_modified_since_before(drover):
    su.write(drover, "f.txt", "x", mtime=MTIME)
    url = su.start(drover, server="if_modified_since before;") + "/f.txt"
    assert _get(url, **{"If-Modified-Since": LM}).status_code == 304
    assert _get(url, **{"If-Modified-Since": su.http_date(MTIME + 3600)}) \
        .status_code == 304
    assert _get(url, **{"If-Modified-Since": su.http_date(MTIME - 1)}) \
        .status_code == 200


def test_ims_other_date_formats(served):
    url, _ = served
    for v in ("Tuesday, 14-Nov-23 22:13:20 GMT", "Tue Nov 14 22:13:20 2023"):
        assert _get(url, **{"If-Modified-Since": v}).status_code == 304, v


def test_ims_invalid_is_ignored(served):
    url, _ = served
    assert _get(url, **{"If-Modified-Since": "yesterday"}).status_code == 200


def test_if_modified_since_exact(drover):
    su.write(drover, "f.txt", "x", mtime=MTIME)
    url = su.start(drover, server="if_modified_since exact;") + "/f.txt"
    assert _get(url, **{"If-Modified-Since": LM}).status_code == 304
    assert _get(url, **{"If-Modified-Since": su.http_date(MTIME + 60)}) \
        .status_code == 200


def test_if_modified_since_off(drover):
    su.write(drover, "f.txt", "x", mtime=MTIME)
    url = su.start(drover, server="if_modified_since off;") + "/f.txt"
    assert _get(url, **{"If-Modified-Since": LM}).status_code == 200


def test_head_304(drover):
    su.write(drover, "f.txt", "x", mtime=MTIME)
    port = drover.port()
    su.start(drover)
    status, h, body = su.get(port, "/f.txt", method="HEAD",
                             headers=["If-Modified-Since: " + LM])
    assert status == 304
    assert body == b""


# ------------------------------------------------------------- If-None-Match


def test_inm_matching_is_304(served):
    url, etag = served
    r = _get(url, **{"If-None-Match": etag})
    assert r.status_code == 304
    assert r.headers["ETag"] == etag


def test_inm_other_is_200(served):
    url, _ = served
    assert _get(url, **{"If-None-Match": '"abc-1"'}).status_code == 200


def test_inm_list_and_star(served):
    url, etag = served
    assert _get(url, **{"If-None-Match": '"a-1", %s, "b-2"' % etag}) \
        .status_code == 304
    assert _get(url, **{"If-None-Match": '"a-1",%s' % etag}) \
        .status_code == 304
    assert _get(url, **{"If-None-Match": "*"}).status_code == 304
    assert _get(url, **{"If-None-Match": '"a-1", "b-2"'}).status_code == 200


def test_inm_weak_comparison(served):
    url, etag = served
    assert _get(url, **{"If-None-Match": "W/" + etag}).status_code == 304
    assert _get(url, **{"If-None-Match": '"x", W/%s' % etag}) \
        .status_code == 304


def test_inm_prefix_of_etag_does_not_match(served):
    url, etag = served
    assert _get(url, **{"If-None-Match": etag[:-2] + '"'}).status_code == 200
    assert _get(url, **{"If-None-Match": etag + "x"}).status_code == 200


def test_inm_wins_over_ims(served):
    url, etag = served
    # both must say "unchanged" for a 304
    assert _get(url, **{"If-None-Match": '"other"',
                        "If-Modified-Since": LM}).status_code == 200
    assert _get(url, **{"If-None-Match": etag,
                        "If-Modified-Since": su.http_date(MTIME - 10)}) \
        .status_code == 200
    assert _get(url, **{"If-None-Match": etag,
                        "If-Modified-Since": LM}).status_code == 304


# ------------------------------------------------------------- 412


def test_if_match(served):
    url, etag = served
    assert _get(url, **{"If-Match": etag}).status_code == 200
    assert _get(url, **{"If-Match": "*"}).status_code == 200
    assert _get(url, **{"If-Match": '"z", %s' % etag}).status_code == 200
    r = _get(url, **{"If-Match": '"other"'})
    assert r.status_code == 412
    assert "412 Precondition Failed" in r.text


def test_if_match_is_strong(served):
    url, etag = served
    assert _get(url, **{"If-Match": "W/" + etag}).status_code == 412


def test_if_unmodified_since(served):
    url, _ = served
    assert _get(url, **{"If-Unmodified-Since": LM}).status_code == 200
    assert _get(url, **{"If-Unmodified-Since": su.http_date(MTIME + 5)}) \
        .status_code == 200
    assert _get(url, **{"If-Unmodified-Since": su.http_date(MTIME - 5)}) \
        .status_code == 412
    # nginx: an invalid date fails the precondition
    assert _get(url, **{"If-Unmodified-Since": "garbage"}).status_code == 412


def test_412_wins_over_304(served):
    url, etag = served
    assert _get(url, **{"If-Match": '"other"', "If-None-Match": etag}) \
        .status_code == 412


def test_conditions_apply_to_200_only(drover):
    url = su.start(drover)
    assert _get(url + "/missing", **{"If-Match": '"x"'}).status_code == 404
    assert _get(url + "/missing", **{"If-None-Match": "*"}).status_code == 404


# ------------------------------------------------------------- etag


def test_etag_off(drover):
    su.write(drover, "f.txt", "x", mtime=MTIME)
    url = su.start(drover, server="etag off;") + "/f.txt"
    r = _get(url)
    assert "ETag" not in r.headers
    assert r.headers["Last-Modified"] == LM
    assert _get(url, **{"If-None-Match": "*"}).status_code == 304
    assert _get(url, **{"If-Match": '"x"'}).status_code == 412
    assert _get(url, **{"If-Match": "*"}).status_code == 200


def test_etag_changes_with_the_file(drover):
    p = su.write(drover, "f.txt", "one", mtime=MTIME)
    url = su.start(drover) + "/f.txt"
    e1 = _get(url).headers["ETag"]
    su.write(drover, "f.txt", "one!", mtime=MTIME)
    e2 = _get(url).headers["ETag"]
    assert e1 == '"%x-3"' % MTIME
    assert e2 == '"%x-4"' % MTIME == su.etag_of(p)
    assert _get(url, **{"If-None-Match": e1}).status_code == 200
