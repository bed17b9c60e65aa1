# MITA image: one image for every HTTP service (`mita serve <svc>`) and worker (`mita worker <svc>`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# pyproject.toml names README.md as the package readme, so it is part of the build input.
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY contracts ./contracts
COPY services ./services
RUN pip install . \
    && rm -rf /src

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mita
USER mita
WORKDIR /home/mita

# Inside a container the process must listen on every interface, not loopback.
ENV MITA_HOST=0.0.0.0
EXPOSE 8000

CMD ["mita", "serve", "gateway"]
