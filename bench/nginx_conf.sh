# bench/nginx_conf.sh - sourced by the benchmarks that take nginx as their baseline.
#
# nginx_conf DIR PORT WORKERS BODY_FILE: write DIR/nginx.conf for an nginx (daemon off, access
# log off, every path of its own under DIR) answering every request on 127.0.0.1:PORT with
# 200, Content-Type application/x-amz-json-1.1, an x-amzn-RequestId header and the body of
# BODY_FILE (one line of JSON without single quotes), as the mock answers RetryBuild.
# free_port: print a free loopback port.

nginx_conf() {
    local dir=$1 port=$2 workers=$3 body
    body=$(cat "$4")
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF2
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/x-amz-json-1.1;
      add_header x-amzn-RequestId 6be43a16-eaa5-440c-abb2-bed26139872c;
      return 200 '$body';
    }
  }
}
EOF2
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
