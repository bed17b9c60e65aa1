"""The admin portal: server-rendered pages under ``/admin``, served by the gateway."""
