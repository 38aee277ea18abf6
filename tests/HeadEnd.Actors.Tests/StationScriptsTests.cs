using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>The station's PSEM commands: the requests each sends, and how the responses read, failure texts included.</summary>
public sealed class StationScriptsTests
{
    private static readonly byte[] Credential = StationUnderTest.Credential(3);

    private static StationScripts Scripts(CampaignSettings? settings = null) => new(StationUnderTest.Firmware(), settings ?? new CampaignSettings());

    private static ProcedureInitiateTable ProcedureOf(PsemRequest request) =>
        ProcedureInitiateTable.Decode(Assert.IsType<FullWriteRequest>(request).Data.Span, DataOrder.BigEndian);

    [Fact]
    public void Initiation_logs_on_writes_the_manifest_starts_the_transfer_and_reads_the_procedure_s_response()
    {
        var requests = Scripts().Initiate(Credential);

        Assert.Equal([PsemService.Logon, PsemService.Security, PsemService.FullWrite, PsemService.FullWrite, PsemService.FullRead], requests.Select(r => r.Service));
        Assert.Equal(Credential, Assert.IsType<SecurityRequest>(requests[1]).Password);
        Assert.Equal(Tables.ImageManifest, Assert.IsType<FullWriteRequest>(requests[2]).Table);
        Assert.Equal(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer), ProcedureOf(requests[3]).Procedure);
        Assert.Equal(Tables.ProcedureResponse, Assert.IsType<FullReadRequest>(requests[4]).Table);
    }

    [Fact]
    public void A_completed_initiation_is_accepted()
    {
        Assert.Null(StationScripts.ReadInitiate(MeterAnswers.InitiateAccepted()).Failure);
    }

    [Fact]
    public void A_refused_initiation_names_the_response_codes()
    {
        var result = StationScripts.ReadInitiate([PsemResponse.Ok, PsemResponse.Of(PsemResponseCode.InsufficientSecurityClearance)]);

        Assert.Equal("initiate refused: Ok,InsufficientSecurityClearance", result.Failure);
    }

    [Fact]
    public void An_initiation_the_board_did_not_complete_names_its_image_failure_or_else_its_result()
    {
        PsemResponse[] Answer(PsemResponse st8) => [PsemResponse.Ok, PsemResponse.Ok, PsemResponse.Ok, PsemResponse.Ok, st8];

        Assert.Equal("initiate: IncompatibleImage",
            StationScripts.ReadInitiate(Answer(MeterAnswers.ProcedureResponse(ProcedureResult.InvalidParameter, (byte)ImageFailure.IncompatibleImage))).Failure);
        Assert.Equal("initiate: ConflictsWithSetup", StationScripts.ReadInitiate(Answer(MeterAnswers.ProcedureResponse(ProcedureResult.ConflictsWithSetup))).Failure);
    }

    [Fact]
    public void A_status_read_gives_the_transfer_s_control_its_missing_blocks_and_the_running_firmware()
    {
        Assert.Equal([Tables.ImageTransferControl, Tables.ImageTransferBitmap, Tables.GeneralManufacturerId],
            StationScripts.Status().Select(r => Assert.IsType<FullReadRequest>(r).Table));

        var status = StationScripts.ReadStatus(MeterAnswers.Status(ImageTransferStatus.TransferInitiated, [2, 6], StationUnderTest.Before))!;

        Assert.Equal(ImageTransferStatus.TransferInitiated, status.Control.Status);
        Assert.Equal(2u, status.Control.MissingCount);
        Assert.Equal([2, 6], status.Missing(StationUnderTest.Blocks));
        Assert.Equal(StationUnderTest.Before, status.Firmware);
    }

    [Fact]
    public void A_status_read_with_a_refused_read_tells_nothing()
    {
        var answers = MeterAnswers.Complete();
        answers[1] = PsemResponse.Of(PsemResponseCode.OperationNotPossible);

        Assert.Null(StationScripts.ReadStatus(answers));
        Assert.Null(StationScripts.ReadStatus(answers[..2]));
    }

    [Fact]
    public void Verification_is_followed_by_activation_at_the_campaign_s_activation_time()
    {
        var at = SimTime.FromSeconds(3600);
        var requests = Scripts(new CampaignSettings { ActivateAt = at }).VerifyAndActivate(Credential);

        Assert.Equal(6, requests.Length);
        Assert.Equal(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), ProcedureOf(requests[2]).Procedure);
        var activate = ProcedureOf(requests[4]);
        Assert.Equal(ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage, ResponseSelector.ImmediatelyAndOnCompletion), activate.Procedure);
        Assert.Equal((ulong)at.Micros, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(activate.Parameters));
        Assert.Empty(ProcedureOf(Scripts().VerifyAndActivate(Credential)[4]).Parameters);
    }

    [Fact]
    public void A_verified_image_whose_activation_was_accepted_reads_as_activating()
    {
        Assert.Equal(VerifyActivateResult.Activating, StationScripts.ReadVerifyAndActivate(MeterAnswers.VerifiedAndActivating()));
    }

    [Fact]
    public void A_refused_verification_command_names_the_response_codes()
    {
        var answers = MeterAnswers.VerifiedAndActivating();
        answers[3] = PsemResponse.Of(PsemResponseCode.Busy);

        var result = StationScripts.ReadVerifyAndActivate(answers);

        Assert.Equal(VerifyOutcome.Refused, result.Outcome);
        Assert.Equal("verification command refused: Ok,Ok,Ok,Busy,Ok,Ok", result.Reason);
    }

    [Fact]
    public void A_failed_verification_names_the_image_failure()
    {
        var result = StationScripts.ReadVerifyAndActivate(MeterAnswers.VerificationFailed(ImageFailure.ImageDigestMismatch));

        Assert.Equal(new VerifyActivateResult(VerifyOutcome.VerificationFailed, ImageFailure.ImageDigestMismatch, "verification failed: ImageDigestMismatch"), result);
    }

    [Fact]
    public void A_refused_activation_reads_as_activation_refused()
    {
        var refused = MeterAnswers.VerifiedAndActivating();
        refused[5] = PsemResponse.Of(PsemResponseCode.DataLocked);

        Assert.Equal(new VerifyActivateResult(VerifyOutcome.ActivationRefused, ImageFailure.None, "activation refused"), StationScripts.ReadVerifyAndActivate(refused));
        Assert.Equal(VerifyOutcome.ActivationRefused, StationScripts.ReadVerifyAndActivate(MeterAnswers.ActivationRefused()).Outcome);
    }

    [Fact]
    public void A_configuration_is_refused_unless_every_write_was_taken_and_the_tables_activated()
    {
        Assert.Null(StationScripts.ReadConfigure([PsemResponse.Ok, PsemResponse.Ok, PsemResponse.Ok, PsemResponse.Ok, MeterAnswers.ProcedureResponse(ProcedureResult.Completed)]));
        Assert.Equal("configuration refused: Ok,Ok,Error,Ok,Ok",
            StationScripts.ReadConfigure([PsemResponse.Ok, PsemResponse.Ok, PsemResponse.Of(PsemResponseCode.Error), PsemResponse.Ok, MeterAnswers.ProcedureResponse(ProcedureResult.Completed)]));
    }
}
