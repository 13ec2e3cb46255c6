# Sourced by backup.sh and restore.sh (POSIX sh): splits DATABASE_URL so the password never
# appears on a command line, where every local user could read it in `ps`.
#
# pg_url_split sets:
#   PG_URL_SAFE   the URL without its password (userinfo or `password=` query parameter)
#   PG_URL_DB     the database name, for messages and file names
#   PG_URL_HOST   host[:port], for messages
# and exports PGPASSWORD (decoded) when the URL carried one. Nothing here prints the URL.

pg_url_fail() {
  echo "$0: DATABASE_URL must be a postgres:// or postgresql:// URL" >&2
  exit 64
}

# Percent-decoding, as libpq does for URL parts.
pg_url_decode() {
  printf '%s' "$1" | LC_ALL=C awk '
    BEGIN { hex = "0123456789abcdef" }
    {
      out = ""; s = $0
      while ((i = index(s, "%")) > 0) {
        out = out substr(s, 1, i - 1)
        h = tolower(substr(s, i + 1, 2))
        hi = index(hex, substr(h, 1, 1)); lo = index(hex, substr(h, 2, 1))
        if (length(h) == 2 && hi > 0 && lo > 0) { out = out sprintf("%c", (hi - 1) * 16 + lo - 1); s = substr(s, i + 3) }
        else { out = out "%"; s = substr(s, i + 1) }
      }
      printf "%s", out s
    }'
}

pg_url_split() {
  url=$1
  case "$url" in
    postgres://* | postgresql://*) ;;
    *) pg_url_fail ;;
  esac
  scheme=${url%%://*}
  rest=${url#*://}
  # authority: up to the first '/' or '?'
  authority=${rest%%[/?]*}
  tail=${rest#"$authority"}
  password=""
  userinfo=""
  hostport=$authority
  case "$authority" in
    *@*)
      userinfo=${authority%@*}
      hostport=${authority##*@}
      case "$userinfo" in
        *:*)
          password=${userinfo#*:}
          userinfo=${userinfo%%:*}
          ;;
      esac
      ;;
  esac
  path=${tail%%\?*}
  query=""
  case "$tail" in
    *\?*) query=${tail#*\?} ;;
  esac
  # Drop any password=... query parameter, keeping the others in order.
  kept=""
  if [ -n "$query" ]; then
    old_ifs=$IFS
    IFS='&'
    for param in $query; do
      case "$param" in
        password=*) [ -n "$password" ] || password=${param#password=} ;;
        '') ;;
        *) kept=${kept:+$kept&}$param ;;
      esac
    done
    IFS=$old_ifs
  fi
  PG_URL_SAFE="$scheme://${userinfo:+$userinfo@}$hostport$path${kept:+?$kept}"
  PG_URL_DB=$(pg_url_decode "${path#/}")
  PG_URL_HOST=${hostport:-localhost}
  if [ -n "$password" ]; then
    PGPASSWORD=$(pg_url_decode "$password")
    export PGPASSWORD
  fi
  unset url rest authority tail password userinfo hostport path query kept param old_ifs
}
