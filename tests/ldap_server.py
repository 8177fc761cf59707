"""A real OpenLDAP server (Debian's `slapd`) for the directory sign-in tests.

`start_directory(tmp)` writes a slapd.conf (mdb backend, the core, cosine, nis and inetOrgPerson
schemas) into a directory of its own, loads `BANK_LDIF` with `slapadd`, starts `slapd` in the
foreground on a free port of 127.0.0.1 and waits until it answers a bind. Each pytest-xdist
worker that runs a test file using it gets its own directory and port. `stop` ends the process.

The small directory: people in ou=people (uid, cn, displayName, departmentNumber: the manyi
unit code; employeeType=disabled marks an account the bank has switched off, which the tests'
user filter leaves out, as an Active Directory filter leaves out userAccountControl's bit 2),
groups in ou=groups (groupOfNames with member DNs; some groups are members of others, one pair
of them in a loop), and a read-only service account. The memberof overlay keeps each entry's
`memberOf` (Active Directory's attribute), so both ways of reading groups are tested; slapadd
does not run overlays, so the people and groups are added once more over LDAP after the start.
"""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import ldap3

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SUFFIX = "dc=bank,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-1"
SERVICE_DN = f"cn=manyi-svc,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "svc-secret-2026"
USER_PASSWORD = "Dir-pass-2026"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))"
ROLE_MAP = (
    f"cn=tellers,{GROUPS}=teller; cn=heads,{GROUPS}=branch_head,lobby_manager;"
    f" cn=it-admins,{GROUPS}=administrator"
)

# uid -> (display name, unit code or "", groups, disabled)
PEOPLE_ENTRIES: dict[str, tuple[str, str, tuple[str, ...], bool]] = {
    "zhang.san": ("张三", "OUT-A", ("tellers",), False),
    "li.si": ("李四", "OUT-A", ("heads",), False),
    "wang.wu": ("王五", "OUT-B", ("tellers",), False),
    "zhao.liu": ("赵六", "OUT-A", ("tellers",), False),
    "qian.qi": ("钱七", "OUT-A", ("tellers",), True),
    "sun.ba": ("孙八", "", ("tellers",), False),
    "zhou.jiu": ("周九", "OUT-A", (), False),
    "wu.shi": ("吴十", "NO-SUCH", ("tellers",), False),
    "teller.a": ("柜员甲", "OUT-A", ("tellers",), False),
    "admin": ("目录里的管理员", "HQ", ("it-admins",), False),
    "feng.shier": ("冯十二", "OUT-A", ("branch-tellers",), False),  # a teller by nesting only
    "chen.shisan": ("陈十三", "OUT-A", ("loop-a",), False),  # a head by a loop of groups
}
GROUP_NAMES = ("tellers", "heads", "it-admins", "auditors", "branch-tellers", "loop-a", "loop-b")
# group -> the groups it is a member of: branch-tellers sits in tellers; loop-a and loop-b are
# members of each other, and loop-b of heads.
GROUP_PARENTS: dict[str, tuple[str, ...]] = {
    "branch-tellers": ("tellers",),
    "loop-a": ("loop-b",),
    "loop-b": ("loop-a", "heads"),
}


def group_dn(group: str) -> str:
    return f"cn={group},{GROUPS}"


def group_members(group: str) -> list[str]:
    """The groups that are members of `group` (as DNs)."""
    return [group_dn(child) for child, parents in GROUP_PARENTS.items() if group in parents]


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def entries() -> list[tuple[str, dict[str, list[str]]]]:
    """The directory's entries, parents first: what slapadd loads and `reset` puts back."""
    found: list[tuple[str, dict[str, list[str]]]] = [
        (SUFFIX, {"objectClass": ["dcObject", "organization"], "o": ["Test bank"], "dc": ["bank"]}),
        (PEOPLE, {"objectClass": ["organizationalUnit"], "ou": ["people"]}),
        (GROUPS, {"objectClass": ["organizationalUnit"], "ou": ["groups"]}),
        (f"ou=services,{SUFFIX}", {"objectClass": ["organizationalUnit"], "ou": ["services"]}),
        (
            SERVICE_DN,
            {
                "objectClass": ["person"],
                "cn": ["manyi-svc"],
                "sn": ["svc"],
                "userPassword": [SERVICE_PASSWORD],
            },
        ),
    ]
    for uid, (name, unit, _groups, disabled) in PEOPLE_ENTRIES.items():
        person = {
            "objectClass": ["inetOrgPerson"],
            "uid": [uid],
            "cn": [uid],
            "sn": [uid.split(".")[0]],
            "displayName": [name],
            "userPassword": [USER_PASSWORD],
        }
        if unit:
            person["departmentNumber"] = [unit]
        if disabled:
            person["employeeType"] = ["disabled"]
        found.append((person_dn(uid), person))
    for group in GROUP_NAMES:
        members = [person_dn(uid) for uid, entry in PEOPLE_ENTRIES.items() if group in entry[2]]
        members += group_members(group)
        # groupOfNames needs one member at least: the service account stands in.
        found.append(
            (
                group_dn(group),
                {
                    "objectClass": ["groupOfNames"],
                    "cn": [group],
                    "member": members or [SERVICE_DN],
                },
            )
        )
    return found


def _ldif() -> str:
    blocks = []
    for dn, attributes in entries():
        lines = [f"dn: {dn}"]
        for name, values in attributes.items():
            for value in values:
                if value.isascii():
                    lines.append(f"{name}: {value}")
                else:
                    lines.append(f"{name}:: {base64.b64encode(value.encode()).decode()}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _certificate(root: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own authority): StartTLS's test."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # fixed: valid whatever the tests' clock says
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = root / "cert.pem", root / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _config(root: Path) -> str:
    schema = Path("/etc/ldap/schema")
    includes = "\n".join(
        f"include {schema / name}.schema" for name in ("core", "cosine", "nis", "inetorgperson")
    )
    # The service account reads; a user may bind as themselves; nobody else reads passwords.
    cert_file, key_file = _certificate(root)
    return f"""{includes}
pidfile {root / "slapd.pid"}
TLSCertificateFile {cert_file}
TLSCertificateKeyFile {key_file}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {root / "data"}
overlay memberof
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Directory:
    """A running slapd: its URL, its process, and an administrator's connection to change it."""

    url: str
    process: subprocess.Popen[bytes]
    root: Path
    changed: bool = False

    @property
    def ca_file(self) -> Path:
        """The certificate StartTLS presents, which is its own authority."""
        return self.root / "cert.pem"

    def admin(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, get_info=ldap3.NONE)
        return ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True)

    def delete(self, uid: str) -> None:
        self.changed = True
        with self.admin() as conn:
            assert conn.delete(person_dn(uid)), conn.result

    def set_attribute(self, uid: str, attribute: str, values: list[str]) -> None:
        self.changed = True
        with self.admin() as conn:
            change = {attribute: [(ldap3.MODIFY_REPLACE, values)]}
            assert conn.modify(person_dn(uid), change), conn.result

    def set_members(self, group: str, uids: list[str]) -> None:
        self.changed = True
        members = [person_dn(uid) for uid in uids] or [SERVICE_DN]
        with self.admin() as conn:
            change = {"member": [(ldap3.MODIFY_REPLACE, members)]}
            assert conn.modify(f"cn={group},{GROUPS}", change), conn.result

    def reset(self) -> None:
        """Back to `entries()` after a test changed the directory: people and groups removed
        and added again (a few entries: milliseconds)."""
        if not self.changed:
            return
        with self.admin() as conn:
            for base in (PEOPLE, GROUPS):
                conn.search(base, "(objectClass=*)", search_scope=ldap3.LEVEL, attributes=[])
                for dn in [item["dn"] for item in conn.response or []]:
                    assert conn.delete(dn), conn.result
            # Groups without their member groups first, then those added: the memberof
            # overlay writes `memberOf` only on entries that exist when the member is added.
            nested = {group_dn(group): group_members(group) for group in GROUP_NAMES}
            for dn, attributes in entries():
                if dn.endswith(f",{PEOPLE}") or dn.endswith(f",{GROUPS}"):
                    direct = dict(attributes)
                    if dn in nested:
                        people = [m for m in attributes["member"] if m not in nested[dn]]
                        direct["member"] = people or [SERVICE_DN]
                    assert conn.add(dn, attributes=direct), conn.result
            for dn, groups in nested.items():
                if groups:
                    change = {"member": [(ldap3.MODIFY_ADD, groups)]}
                    assert conn.modify(dn, change), conn.result
        self.changed = False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def slapd_available() -> bool:
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


def start_directory(root: Path) -> Directory:
    """Configure, load and start a slapd under `root` (an empty directory of this worker's)."""
    (root / "data").mkdir(parents=True)
    conf = root / "slapd.conf"
    conf.write_text(_config(root), encoding="utf-8")
    (root / "bank.ldif").write_text(_ldif(), encoding="utf-8")
    subprocess.run(
        [SLAPADD, "-q", "-f", str(conf), "-l", str(root / "bank.ldif")],
        check=True,
        capture_output=True,
    )
    for _attempt in range(3):  # the free port may be taken between the probe and slapd
        port = _free_port()
        url = f"ldap://127.0.0.1:{port}"
        # -d 0: stay in the foreground (no fork), so the test owns the process it stops.
        process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        directory = Directory(url, process, root)
        if _wait_until_up(directory):
            directory.changed = True  # loaded by slapadd, without the memberof overlay
            directory.reset()
            return directory
        if process.poll() is None:
            process.kill()
        process.wait()
    raise RuntimeError("slapd did not start")


def _wait_until_up(directory: Directory, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if directory.process.poll() is not None:
            return False
        try:
            with directory.admin():
                return True
        except ldap3.core.exceptions.LDAPException:
            time.sleep(0.05)
    return False
