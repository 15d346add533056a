# cnnviz for a class server: docker build -t cnnviz . && docker run -p 8501:8501 cnnviz
# Several replicas behind nginx: compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CNNVIZ_DATA_DIR=/data

# requirements.txt names PyTorch's CPU index: the default one would bring a multi-GB CUDA build.
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

RUN useradd --create-home --uid 10001 cnnviz && mkdir /data && chown cnnviz /data
WORKDIR /app
COPY --chown=cnnviz app.py ./
COPY --chown=cnnviz .streamlit ./.streamlit
COPY --chown=cnnviz pages ./pages
COPY --chown=cnnviz ui ./ui
COPY --chown=cnnviz cnnviz ./cnnviz
COPY --chown=cnnviz assets ./assets
USER cnnviz

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
# Beside the server, `python -m ui.warm` opens it once as soon as it answers: that first visit
# starts the server's own warm-up (ui/warm.py), so the first students, or nginx's first
# students on each replica (compose.yaml), find a warm server. exec: the server is PID 1.
CMD ["sh", "-c", "python -m ui.warm http://127.0.0.1:8501 & exec python -m streamlit run app.py --server.address=0.0.0.0 --server.port=8501"]
