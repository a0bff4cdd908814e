// Re-think for Microsoft Teams: the Azure resources for ONE partnership, in one resource group.
//
//   user-assigned managed identity ─┬─ is the bot's identity (Azure Bot, msaAppType UserAssignedMSI), unless botAppId is given
//                                   ├─ is attached to the Web App (DefaultAzureCredential uses it; so does the bot SDK when it is the bot)
//                                   └─ holds Cosmos DB Built-in Data Contributor on the Cosmos account
//   Cosmos DB for NoSQL (serverless, keys disabled) ─ database `rethink`, containers rethinks / people / conversations / requests / settings
//   Linux App Service plan + Node 22 Web App ─ serves POST /api/messages
//   Azure Bot (global) + Microsoft Teams channel ─ points at https://<web app>/api/messages
//
// Written and reviewed by hand; NOT compiled on the development machines (no Bicep compiler there).
// Run `az bicep build -f infra/main.bicep` (or a what-if deployment) before the first real deployment.

targetScope = 'resourceGroup'

// ─── Parameters ────────────────────────────────────────────────────────────────

@description('Prefix for every resource name: lower-case letters, digits and hyphens, starting with a letter. A unique suffix derived from the resource group is appended.')
@minLength(3)
@maxLength(20)
param namePrefix string = 'rethink'

@description('Azure region for the identity, Cosmos DB and App Service (the Azure Bot itself is always global).')
param location string = resourceGroup().location

@description('Comma-separated Entra tenant ids (GUIDs) whose users may use the bot: one per partner agency. Defaults to the tenant of this deployment.')
@minLength(36)
param allowedTenantIds string = tenant().tenantId

@description('Comma-separated Microsoft Entra object ids of the partnership administrators (they set up the facilitator pool and are told of failed deliveries).')
param adminIds string = ''

@description('Optional: the client id of a single-tenant Entra app registration to be the bot instead of the managed identity. The meeting side panel needs it: Teams signs people in to the bot\'s own app (SSO), which must expose an API, and a managed identity cannot. Empty: the managed identity is the bot and the side panel is off.')
param botAppId string = ''

@description('The client secret of botAppId (only with botAppId).')
@secure()
param botAppPassword string = ''

@description('Optional, only with botAppId: the app id URI the bot\'s app registration exposes for Teams SSO (the meeting side panel). Empty: api://<web app name>.azurewebsites.net/<botAppId>, given as the panelAppIdUri output. Without botAppId the side panel is off.')
param panelAppIdUri string = ''

@description('How long records are kept, in days: the default TTL of every container. MUST equal retentionDays in the partnership profile the app loads, or the app will try (and, with Entra auth, fail) to change the TTL at start-up.')
@minValue(1)
@maxValue(24855) // defaultTtl is a 32-bit count of seconds
param retentionDays int = 730

@description('App Service plan SKU (Linux). Free (F1) and Shared (D1) are not offered: Always On is required for a bot.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'S2'
  'S3'
  'P0v3'
  'P1v3'
  'P2v3'
  'P3v3'
])
param appServiceSku string = 'B1'

@description('Azure Bot SKU. F0 is free and is enough for Teams, which is a standard channel.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('Display name of the Azure Bot resource (the name users see in Teams comes from the Teams app manifest).')
@maxLength(42)
param botDisplayName string = 'Re-think'

@description('Optional: path, on the Web App, to the partnership profile JSON (PARTNERSHIP_PROFILE). Empty uses the bundled Portsmouth profile.')
param partnershipProfile string = ''

@description('Tags applied to every resource.')
param tags object = {}

// ─── Names and constants ───────────────────────────────────────────────────────

var prefix = toLower(namePrefix)
// Teams grants the meeting permissions to the app in the manifest's webApplicationInfo, which is also
// the side panel's SSO app: so the bot is that app registration when there is one.
var botIsAppRegistration = !empty(botAppId)
var botId = botIsAppRegistration ? botAppId : identity.properties.clientId
var botAppType = botIsAppRegistration ? 'SingleTenant' : 'UserAssignedMSI'
var suffix = uniqueString(resourceGroup().id)

var identityName = '${prefix}-id-${suffix}'
var cosmosAccountName = '${prefix}-cosmos-${suffix}' // 3-44 chars, globally unique: 20 + 8 + 13 = 41 at most
var planName = '${prefix}-plan-${suffix}'
var webAppName = '${prefix}-app-${suffix}' // globally unique (*.azurewebsites.net)
// The side panel's sign-in: the bot's own app registration exposes it (a managed identity cannot).
var panelUri = !botIsAppRegistration ? '' : (empty(panelAppIdUri) ? 'api://${webAppName}.azurewebsites.net/${botAppId}' : panelAppIdUri)
var botName = '${prefix}-bot-${suffix}' // globally unique bot handle, at most 42 chars: 20 + 5 + 13 = 38

var databaseName = 'rethink'
var messagingEndpointPath = '/api/messages'
var retentionSeconds = retentionDays * 86400

// Partition keys and the paths left out of the index must match services/store/cosmos.ts
// (CONTAINERS, UNINDEXED; tests/unit/infra.test.ts compares them): no query filters on those,
// and a save isn't charged for indexing them.
var containerDefinitions = [
  {
    name: 'rethinks'
    partitionKeyPath: '/conversationId'
    excludedPaths: [
      {
        path: '/contributions/*'
      }
      {
        path: '/summary/?'
      }
      {
        path: '/appliedActivityIds/*'
      }
    ]
  }
  {
    name: 'people'
    partitionKeyPath: '/aadObjectId'
    excludedPaths: []
  }
  {
    name: 'requests'
    partitionKeyPath: '/id'
    excludedPaths: [
      {
        path: '/form/*'
      }
      {
        path: '/history/*'
      }
      {
        path: '/questions/*'
      }
      {
        path: '/outbox/*'
      }
      {
        path: '/audit/*'
      }
      {
        path: '/appliedActivityIds/*'
      }
    ]
  }
  {
    name: 'settings'
    partitionKeyPath: '/id'
    excludedPaths: []
  }
  {
    name: 'conversations'
    partitionKeyPath: '/conversationId'
    excludedPaths: []
  }
]

// Cosmos DB Built-in Data Contributor (data plane: read metadata, read/write items, query).
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'

// ─── Managed identity ──────────────────────────────────────────────────────────

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

// ─── Cosmos DB for NoSQL ───────────────────────────────────────────────────────

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: cosmosAccountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    // Entra ID (managed identity) only: account keys and resource tokens are refused.
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    enableFreeTier: false
    enableAutomaticFailover: false
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: cosmos
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    // Serverless: no throughput options.
  }
}

// The app cannot create or alter databases or containers itself: with Entra auth the data plane
// allows reads and writes of items only. So they are created here, with retention as the default TTL.
resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for c in containerDefinitions: {
    parent: database
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: [
            c.partitionKeyPath
          ]
          kind: 'Hash'
          version: 2
        }
        defaultTtl: retentionSeconds
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: [
            {
              path: '/*'
            }
          ]
          excludedPaths: c.excludedPaths
        }
      }
    }
  }
]

resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, identity.id, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
    principalId: identity.properties.principalId
    // The whole account (it holds only the app's database): an existing assignment's scope can't be
    // changed in place, so narrowing it would fail every redeployment of a deployment made before.
    scope: cosmos.id
  }
}

// ─── App Service ───────────────────────────────────────────────────────────────

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: appServiceSku
  }
  properties: {
    reserved: true // Linux
  }
}

var baseAppSettings = [
  {
    name: 'MICROSOFT_APP_ID'
    value: botId
  }
  {
    name: 'MICROSOFT_APP_TYPE'
    value: botAppType
  }
  {
    name: 'MICROSOFT_APP_TENANT_ID'
    value: tenant().tenantId
  }
  {
    name: 'ALLOWED_TENANT_IDS'
    value: allowedTenantIds
  }
  {
    name: 'ADMIN_IDS'
    value: adminIds
  }
  {
    // Teams SSO for the meeting side panel: the id URI its tokens are for, exposed by the bot's own
    // app registration (a managed identity cannot): see infra/README.md.
    name: 'PANEL_APP_ID_URI'
    // Only an app registration can expose the API the panel signs in to: a managed-identity bot runs without it.
    value: panelUri
  }
  {
    name: 'COSMOS_ENDPOINT'
    value: cosmos.properties.documentEndpoint
  }
  {
    name: 'COSMOS_DATABASE'
    value: databaseName
  }
  {
    // DefaultAzureCredential uses the user-assigned identity with this client id for Cosmos DB.
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'LOG_LEVEL'
    value: 'info'
  }
  {
    // The zip that is deployed is already built, with production node_modules: no Oryx build.
    name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
    value: 'false'
  }
]

// The bot's secret, only for an app registration bot (a managed identity has none).
var botSecretAppSettings = botIsAppRegistration ? [
  {
    name: 'MICROSOFT_APP_PASSWORD'
    value: botAppPassword
  }
] : []

var profileAppSettings = empty(partnershipProfile) ? [] : [
  {
    name: 'PARTNERSHIP_PROFILE'
    value: partnershipProfile
  }
]

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  tags: tags
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      // Linux: the Node version comes from linuxFxVersion (WEBSITE_NODE_DEFAULT_VERSION is Windows only).
      linuxFxVersion: 'NODE|22-lts'
      appCommandLine: 'node dist/bot/main.js'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      healthCheckPath: '/healthz'
      appSettings: concat(baseAppSettings, botSecretAppSettings, profileAppSettings)
    }
  }
}

// Deployment with Entra sign-in only (az webapp deploy uses it): a leaked publish profile's
// password could otherwise deploy code that runs as the app's identity.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: webApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: webApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// The app's own log (one JSON line per event, no case text) kept from the first start: a start refused
// for a missing setting, or a store that can't be reached, says why there. On Linux the container's
// output is kept by the file system http logs setting (what `az webapp log config
// --docker-container-logging filesystem` sets).
resource webAppLogs 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: webApp
  name: 'logs'
  properties: {
    httpLogs: {
      fileSystem: {
        enabled: true
        retentionInDays: 7
        retentionInMb: 35
      }
    }
    detailedErrorMessages: {
      enabled: false
    }
    failedRequestsTracing: {
      enabled: false
    }
  }
}

// ─── Azure Bot + Teams channel ─────────────────────────────────────────────────

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botName
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${webApp.properties.defaultHostName}${messagingEndpointPath}'
    msaAppType: botAppType
    msaAppId: botId
    msaAppMSIResourceId: botIsAppRegistration ? null : identity.id
    msaAppTenantId: tenant().tenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

// ─── Outputs ───────────────────────────────────────────────────────────────────

output webAppUrl string = 'https://${webApp.properties.defaultHostName}'
output botMessagingEndpoint string = 'https://${webApp.properties.defaultHostName}${messagingEndpointPath}'
output cosmosEndpoint string = cosmos.properties.documentEndpoint
output managedIdentityClientId string = identity.properties.clientId
output botAppId string = botId
// Set it as the bot app registration's Application ID URI (infra/README.md, "The meeting side panel"); empty without botAppId.
output panelAppIdUri string = panelUri
output webAppName string = webApp.name
output botName string = bot.name
output cosmosAccountName string = cosmos.name
